"""Words the generator prints: repair work items with 2025 market prices, parties, places.

Each work item is one kind of work (trade, normalised unit, market unit price HT) with
several phrasings, as different firms word the same job. The perils say for which kind of
claim the work is plausible: e water damage, t storm, v break-in, b broken glass, i fire.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class WorkItem:
    trade: str
    unit: str  # normalised: m2 ml m3 u h forfait kg
    market_price: Decimal  # 2025 market unit price HT, metropolitan France average
    phrasings: tuple[str, ...]
    perils: str  # subset of "etvbi"


def _w(trade: str, unit: str, price: str, perils: str, *phrasings: str) -> WorkItem:
    return WorkItem(trade, unit, Decimal(price), phrasings, perils)


WORK_ITEMS: tuple[WorkItem, ...] = (
    # plomberie
    _w("plomberie", "h", "58.00", "e", "Recherche de fuite", "Recherche et localisation de fuite non destructive",
       "M.O. plombier recherche de fuite"),
    _w("plomberie", "forfait", "185.00", "e", "Réparation canalisation cuivre Ø14 encastrée",
       "Remplacement tronçon cuivre Ø 14/16, brasure", "Réparation de fuite sur alimentation EF/EC"),
    _w("plomberie", "u", "240.00", "e", "Remplacement vanne d'arrêt générale",
       "F&P robinet d'arrêt 1/4 de tour 20/27"),
    _w("plomberie", "ml", "42.00", "e", "Remplacement évacuation PVC Ø40", "F&P tuyau PVC évacuation D.40 compris raccords"),
    _w("plomberie", "u", "165.00", "e", "Dépose et repose WC suspendu", "Dépose / repose cuvette WC pour accès canalisation"),
    _w("plomberie", "u", "310.00", "e", "Remplacement ballon eau chaude : dépose, évacuation",
       "Dépose chauffe-eau électrique endommagé"),
    _w("plomberie", "u", "95.00", "e", "Remplacement flexible et joint sous évier", "F&P flexibles inox + joints lavabo"),
    _w("plomberie", "h", "55.00", "e", "Main d'oeuvre plombier", "M.O. plomberie", "Heure de main d'oeuvre compagnon plombier"),
    # peinture
    _w("peinture", "m2", "26.00", "eiv", "Peinture plafond 2 couches acrylique mate",
       "Mise en peinture plafond y compris impression", "Application de 2 couches de peinture blanche mate au plafond"),
    _w("peinture", "m2", "24.00", "eivt", "Peinture murs 2 couches satinée", "Mise en peinture des murs, finition velours",
       "Peinture acrylique murs (impression + 2 couches)"),
    _w("peinture", "m2", "9.00", "eiv", "Lessivage et préparation des supports", "Lessivage des murs et plafonds",
       "Préparation des fonds : lessivage, rebouchage, ponçage"),
    _w("peinture", "m2", "11.00", "ei", "Traitement des taches d'humidité (sous-couche isolante)",
       "Impression anti-tache sur auréoles", "Application sous-couche bloquante sur traces d'eau"),
    _w("peinture", "m2", "38.00", "e", "Dépose et repose papier peint", "Fourniture et pose papier peint intissé",
       "Arrachage ancien papier peint et pose toile de verre à peindre"),
    _w("peinture", "ml", "14.00", "ev", "Peinture des plinthes et huisseries", "Laquage boiseries (plinthes, encadrements)"),
    _w("peinture", "m2", "32.00", "i", "Nettoyage suie et peinture anti-odeur", "Peinture isolante fumée après sinistre incendie"),
    _w("peinture", "u", "120.00", "ev", "Peinture porte isoplane 2 faces", "Mise en peinture bloc-porte (2 faces + chant)"),
    # platrerie
    _w("platrerie", "m2", "62.00", "ei", "Dépose et réfection faux plafond BA13", "Réfection plafond plaques de plâtre BA13 sur ossature",
       "Faux plafond BA13 sur fourrures, compris bandes et enduits"),
    _w("platrerie", "m2", "58.00", "e", "Cloison BA13 hydro sur rails, fourn. et pose", "Doublage plaque hydrofuge BA13 H1 collé",
       "Remplacement plaques de plâtre hydro (BA13 vert)"),
    _w("platrerie", "m2", "18.00", "ei", "Dépose plaques de plâtre endommagées", "Démolition doublage placo humide, évacuation"),
    _w("platrerie", "m2", "21.00", "eiv", "Enduit de lissage sur murs", "Ratissage enduit garnissant + lissage",
       "Reprise enduit plâtre sur fissures et épaufrures"),
    _w("platrerie", "ml", "24.00", "e", "Reprise bandes joints placo", "Bandes à joint et finition sur plaques"),
    _w("platrerie", "m2", "34.00", "ei", "Isolant laine de verre 100 mm sous plafond", "F&P isolation laine minérale ép. 100 mm"),
    # carrelage
    _w("carrelage", "m2", "68.00", "e", "F&P carrelage sol grès cérame 45x45", "Fourniture et pose carrelage sol 60x60 rectifié",
       "Pose carrelage grès émaillé collé, fourniture comprise"),
    _w("carrelage", "m2", "52.00", "e", "F&P faience murale 20x40", "Faïence murale salle de bains, fourn. et pose",
       "Remplacement faïence décollée (fourniture + pose)"),
    _w("carrelage", "m2", "19.00", "e", "Dépose carrelage existant", "Dépose faïence et carrelage, évacuation gravats"),
    _w("carrelage", "ml", "14.00", "e", "Joint silicone sanitaire", "Réfection joints silicone périphériques baignoire"),
    _w("carrelage", "m2", "16.00", "e", "Réfection des joints de carrelage", "Dégarnissage et rejointoiement carrelage sol"),
    _w("carrelage", "m2", "45.00", "e", "Système d'étanchéité liquide sous carrelage (SPEC)", "Natte d'étanchéité sous faïence douche"),
    # sols
    _w("sols", "m2", "48.00", "ei", "F&P parquet stratifié 8 mm + sous-couche", "Pose sol stratifié clipsable, fourniture comprise",
       "Remplacement parquet flottant gonflé"),
    _w("sols", "m2", "26.00", "e", "Ragréage autolissant", "Ragréage fibré P3 ép. 5 mm"),
    _w("sols", "m2", "36.00", "ei", "F&P revêtement sol PVC en lés", "Fourniture et pose sol vinyle LVT à clipser"),
    _w("sols", "m2", "14.00", "ei", "Dépose revêtement de sol souple", "Arrachage moquette et sous-couche, évacuation"),
    _w("sols", "ml", "12.00", "ei", "F&P plinthes MDF blanches", "Fourniture et pose plinthes bois à peindre"),
    _w("sols", "m2", "42.00", "e", "Ponçage et vitrification parquet massif", "Rénovation parquet : ponçage 3 passes + vitrificateur"),
    # electricite
    _w("electricite", "forfait", "280.00", "eit", "Mise en sécurité et recherche de défaut",
       "Diagnostic électrique après sinistre, mise en sécurité", "Contrôle de l'installation et remise en service"),
    _w("electricite", "u", "75.00", "ei", "F&P disjoncteur différentiel 30mA", "Remplacement disjoncteur divisionnaire 16A"),
    _w("electricite", "u", "52.00", "ei", "Prise 2P+T encastrée, fourn. et pose", "Remplacement prise de courant 16A + boîte d'encastrement"),
    _w("electricite", "u", "68.00", "ei", "Remplacement point lumineux (DCL + douille)", "F&P point d'éclairage plafonnier"),
    _w("electricite", "ml", "18.00", "ei", "Remplacement câble R2V 3G2,5 sous gaine", "Tirage de câble électrique 3G1,5 sous ICTA"),
    _w("electricite", "u", "420.00", "ei", "Remplacement tableau électrique 2 rangées", "F&P coffret électrique équipé 26 modules"),
    _w("electricite", "u", "48.00", "ei", "Interrupteur va-et-vient, fourn. et pose", "Remplacement interrupteur simple allumage"),
    # menuiserie
    _w("menuiserie", "u", "890.00", "vt", "Remplacement porte d'entrée (bloc-porte acier)",
       "F&P bloc-porte palière isolante, serrure 3 points"),
    _w("menuiserie", "u", "320.00", "ev", "Remplacement bloc-porte intérieur isoplan", "F&P porte de distribution 83 cm huisserie bois"),
    _w("menuiserie", "h", "52.00", "vt", "Reprise dormant et ajustage ouvrant", "Réglage et rabotage ouvrant gonflé",
       "Main d'oeuvre menuisier (ajustage, réglage)"),
    _w("menuiserie", "u", "760.00", "tbv", "Remplacement fenêtre PVC 2 vantaux", "F&P fenêtre PVC double vitrage 125x100",
       "Fenêtre PVC blanc 2 vantaux OF, dépose de l'ancienne"),
    _w("menuiserie", "u", "540.00", "t", "Remplacement volet roulant manuel", "F&P volet roulant PVC à manivelle"),
    _w("menuiserie", "ml", "65.00", "e", "Remplacement plan de travail stratifié", "Plan de travail cuisine ép. 38 mm, fourn. et pose"),
    _w("menuiserie", "u", "220.00", "e", "Remplacement caisson de cuisine bas", "Meuble bas cuisine 60 cm gonflé : remplacement"),
    # serrurerie
    _w("serrurerie", "u", "240.00", "v", "Remplacement cylindre de serrure haute sécurité", "Changement barillet A2P* + 3 clés",
       "F&P cylindre européen 30x30 sécurité"),
    _w("serrurerie", "u", "620.00", "v", "Remplacement serrure 3 points en applique", "F&P serrure multipoints A2P**"),
    _w("serrurerie", "forfait", "150.00", "v", "Ouverture de porte et mise en sécurité", "Intervention urgence : ouverture fine",
       "Déplacement dépannage serrurerie, nuit/WE"),
    _w("serrurerie", "u", "180.00", "v", "Remplacement gâche et renfort cornière anti-pince", "F&P cornière anti-effraction"),
    _w("serrurerie", "forfait", "165.00", "vbt", "Condamnation provisoire par panneau contreplaqué",
       "Mise en sécurité provisoire (panneau bois)", "Fermeture provisoire par panneau OSB"),
    # vitrerie
    _w("vitrerie", "m2", "240.00", "bvt", "Remplacement double vitrage 4/16/4", "F&P vitrage isolant 4/16/4 faible émissivité",
       "Fourniture et pose double vitrage 44.2/16/4 feuilleté"),
    _w("vitrerie", "m2", "140.00", "bv", "Remplacement simple vitrage 4 mm", "Vitre claire ép. 4 mm posée sous parclose"),
    _w("vitrerie", "u", "95.00", "bv", "Dépose vitrage brisé et évacuation", "Dépose des débris de verre, nettoyage feuillure"),
    _w("vitrerie", "m2", "320.00", "bv", "Remplacement vitrage feuilleté 44.2 sécurité", "F&P verre feuilleté anti-effraction SP10"),
    _w("vitrerie", "ml", "12.00", "bt", "Mastic et joint de vitrage", "Réfection mastic silicone sur vitrage"),
    # couverture
    _w("couverture", "m2", "78.00", "t", "Remplacement tuiles mécaniques", "Révision toiture : remplacement tuiles cassées",
       "F&P tuiles terre cuite (y compris liteaux)"),
    _w("couverture", "ml", "62.00", "t", "Réfection faîtage scellé", "Repose faîtières au mortier bâtard"),
    _w("couverture", "ml", "48.00", "t", "Remplacement gouttière zinc demi-ronde 25", "F&P gouttière PVC Ø 25 + crochets"),
    _w("couverture", "h", "62.00", "t", "Main d'oeuvre couvreur", "M.O. couvreur 2 compagnons", "Heure couvreur (travaux en hauteur)"),
    _w("couverture", "forfait", "450.00", "t", "Bâchage provisoire de la toiture", "Mise hors d'eau provisoire (bâche + lestage)"),
    _w("couverture", "forfait", "380.00", "t", "Location échafaudage de pied", "Échafaudage : montage, location 1 semaine, démontage"),
    _w("couverture", "ml", "95.00", "t", "Remplacement solin plomb en pied de cheminée", "Réfection abergement cheminée"),
    # maconnerie
    _w("maconnerie", "m2", "85.00", "ti", "Reprise enduit façade monocouche", "Réfection enduit de façade gratté"),
    _w("maconnerie", "m3", "190.00", "ti", "Démolition et évacuation maçonnerie", "Démolition mur endommagé, évacuation en décharge"),
    _w("maconnerie", "ml", "110.00", "t", "Réfection couronnement de mur de clôture", "Chaperon béton sur muret, fourn. et pose"),
    _w("maconnerie", "m2", "125.00", "ti", "Montage mur parpaings 20 cm", "Maçonnerie agglos creux ép. 20, enduit compris"),
    _w("maconnerie", "kg", "4.50", "ti", "Mortier de réparation fibré", "Mortier R4 de réagréage, fourniture"),
    _w("maconnerie", "m3", "240.00", "t", "Béton dosé à 350 kg coulé en place", "Dalle béton armé coulée, fourniture comprise"),
    # assechement
    _w("assechement", "forfait", "150.00", "e", "Installation et dépose matériel d'assèchement",
       "Pose/dépose assécheurs d'air", "Mise en place déshumidificateurs + repli"),
    _w("assechement", "u", "22.00", "e", "Location déshumidificateur (par jour)", "Déshumidificateur à condensation, location jour"),
    _w("assechement", "m2", "30.00", "e", "Séchage dalle par injection", "Assèchement chape par insufflation d'air"),
    _w("assechement", "u", "95.00", "e", "Relevés d'humidité (humidimètre), par passage", "Contrôle hygrométrique et rapport"),
    _w("assechement", "m2", "12.00", "e", "Traitement fongicide des murs", "Application traitement anti-moisissures"),
    _w("assechement", "kg", "6.00", "e", "Produit absorbant déshydratant", "Sel déshydratant (chlorure de calcium)"),
    # nettoyage
    _w("nettoyage", "forfait", "105.00", "etvbi", "Nettoyage fin de chantier", "Nettoyage en fin de travaux",
       "Nettoyage complet des locaux après intervention"),
    _w("nettoyage", "m2", "14.00", "i", "Nettoyage des suies par aspiration et lessivage", "Décontamination suie murs et plafonds"),
    _w("nettoyage", "m3", "45.00", "eti", "Évacuation des déchets en décharge agréée", "Enlèvement gravats et encombrants, mise en benne"),
    _w("nettoyage", "h", "35.00", "ei", "Main d'oeuvre nettoyage", "Heure agent de nettoyage", "M.O. nettoyage et désinfection"),
    _w("nettoyage", "forfait", "220.00", "i", "Traitement des odeurs par ozone", "Désodorisation des locaux (nébulisation)"),
    _w("nettoyage", "m2", "8.00", "e", "Pompage et aspiration des eaux", "Aspiration eau stagnante et raclage"),
    # divers
    _w("divers", "forfait", "115.00", "etvbi", "Protections (sols, meubles)", "Protection des sols et mobilier",
       "Bâchage et protection des existants"),
    _w("divers", "forfait", "60.00", "etvbi", "Déplacement", "Frais de déplacement", "Forfait déplacement et stationnement"),
    _w("divers", "forfait", "140.00", "eivt", "Déplacement mobilier", "Déplacement et remise en place du mobilier"),
    _w("divers", "forfait", "250.00", "eti", "Location benne 3 m3", "Benne à gravats 3 m3 (pose, enlèvement, traitement)"),
    _w("divers", "h", "48.00", "etvbi", "Main d'oeuvre manoeuvre", "Heure de manutention", "M.O. aide-compagnon"),
    _w("divers", "forfait", "90.00", "etvbi", "Établissement du dossier et métré", "Métré et constat préalable, photos"),
)

# Phrases that some firms append to a designation; they make it wrap over 2-3 lines.
DESIGNATION_SUFFIXES = (
    " - compris petites fournitures et consommables",
    ", y compris protection des sols et évacuation des gravats",
    ", compris dépose de l'existant et mise en décharge",
    " (pièce principale + couloir)",
    " y compris préparation et nettoyage en fin d'intervention",
    " suivant état des lieux contradictoire",
    ", toutes sujétions de mise en oeuvre selon DTU en vigueur",
)

# How each normalised unit may be printed, and the truth unit it maps to.
# `ens` (ensemble) reads as a lump sum; `pce`/`pc`/`unité` read as a count.
UNIT_LABELS: dict[str, tuple[str, ...]] = {
    "m2": ("m²", "M2", "m2", "m²", "M²"),
    "ml": ("ml", "ML", "m.l.", "ml"),
    "m3": ("m3", "m³", "M3"),
    "u": ("U", "u", "pce", "unité", "pc", "U"),
    "h": ("h", "H", "heure", "h"),
    "forfait": ("Fft", "forfait", "Forfait", "ens", "FF", "Fft"),
    "kg": ("kg", "Kg", "KG"),
}

SUPPLIER_FIRST = (
    "Durand", "Leroy", "Moreau", "Girard", "Bonnet", "Fontaine", "Chevalier", "Robin", "Masson", "Garnier",
    "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Perrin", "Morel", "Mathieu",
    "Lambert", "Dupuis", "Marchand", "Lefèvre", "Mercier", "Picard", "Aubert", "Renaud", "Colin", "Vidal",
)
SUPPLIER_PATTERNS = (
    "SARL {n} Bâtiment", "SAS {n} & Fils", "Ets {n} Rénovation", "{n} Multiservices", "EURL {n} Habitat",
    "Entreprise {n}", "{N} RÉNOVATION", "SASU {n} Travaux", "{n} Frères", "Atelier {n}", "{n} Dépannage Services",
    "SARL Rénov'{n}", "{n} Peinture & Décoration", "{N} TOITURE", "{n} Plomberie Chauffage",
)
CLIENT_FIRST = ("Jean", "Marie", "Alain", "Sophie", "Nicolas", "Isabelle", "Pierre", "Nathalie", "Philippe",
                "Catherine", "Julien", "Camille", "Thomas", "Claire", "Éric", "Hélène")
CLIENT_LAST = ("ROUX", "MARTIN", "BERNARD", "PETIT", "DURAND", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND",
               "GUÉRIN", "CHEVALIER", "FRANÇOIS", "LEGRAND", "GAUTHIER", "PERRIN", "ANDRÉ", "MERCIER")
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta", "rue du Moulin",
    "impasse des Lilas", "rue Pasteur", "chemin des Vignes", "allée des Tilleuls", "rue du Général de Gaulle",
    "place de l'Église", "rue des Écoles", "route de Lyon", "avenue de la Gare", "rue Nationale", "quai des Brotteaux",
)
CITIES = (
    ("75011", "Paris", "Paris"), ("69003", "Lyon", "Lyon"), ("13005", "Marseille", "Marseille"),
    ("31000", "Toulouse", "Toulouse"), ("33000", "Bordeaux", "Bordeaux"), ("44000", "Nantes", "Nantes"),
    ("67000", "Strasbourg", "Strasbourg"), ("59000", "Lille", "Lille"), ("35000", "Rennes", "Rennes"),
    ("06000", "Nice", "Nice"), ("34000", "Montpellier", "Montpellier"), ("38000", "Grenoble", "Grenoble"),
    ("21000", "Dijon", "Dijon"), ("49100", "Angers", "Angers"), ("76000", "Rouen", "Rouen"),
    ("63000", "Clermont-Ferrand", "Clermont-Ferrand"), ("92100", "Boulogne-Billancourt", "Nanterre"),
    ("94300", "Vincennes", "Créteil"), ("01000", "Bourg-en-Bresse", "Bourg-en-Bresse"), ("29200", "Brest", "Brest"),
    ("64100", "Bayonne", "Bayonne"), ("87000", "Limoges", "Limoges"), ("57000", "Metz", "Metz"),
    ("84000", "Avignon", "Avignon"), ("17000", "La Rochelle", "La Rochelle"), ("20000", "Ajaccio", "Ajaccio"),
)

PERIL_OBJECTS = {
    "e": ("dégât des eaux", "degats_des_eaux"),
    "t": ("tempête", "tempete_grele_neige"),
    "v": ("effraction", "vol_vandalisme"),
    "b": ("bris de glace", "bris_de_glace"),
    "i": ("incendie", "incendie"),
}

LOT_TITLES = {
    "plomberie": "Plomberie", "peinture": "Peinture", "platrerie": "Plâtrerie", "carrelage": "Carrelage",
    "sols": "Revêtements de sols", "electricite": "Électricité", "menuiserie": "Menuiserie",
    "serrurerie": "Serrurerie", "vitrerie": "Vitrerie", "couverture": "Couverture", "maconnerie": "Maçonnerie",
    "assechement": "Assèchement", "nettoyage": "Nettoyage", "divers": "Installation de chantier",
}

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
