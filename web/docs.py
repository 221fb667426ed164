"""FastAPI's OpenAPI page, its Swagger UI served from web/static/vendor (no CDN), behind the sign-in."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse

from web.app import signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(signed_in)])


@router.get("/openapi.json")
def openapi(request: Request):
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs(request: Request):
    return get_swagger_ui_html(openapi_url="/openapi.json", title="quote-review API",
                               swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                               swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
                               swagger_favicon_url="/static/favicon.svg")
