"""Placeholder replaced by the foundation CLI."""
import typer

app = typer.Typer()
