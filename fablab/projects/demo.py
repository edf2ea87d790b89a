"""Demo projects: a dozen realistic documented projects, with images drawn here
with Pillow (no file shipped), CAD and source files, bills of materials, and
members who share their skills in the directory."""

from __future__ import annotations

import functools
import io
import math
import random
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from fablab.accounts import services as accounts
from fablab.core.demo import DemoMoment
from fablab.extensions import db
from fablab.machines.models import Resource
from fablab.projects import services

# title, summary, tags, machine name prefixes, licence, difficulty, hours, cost €,
# colour, shape, steps, BOM lines, files
PROJECTS = (
    ("Lampe à lamelles découpée au laser", "Une lampe d'ambiance en contreplaqué de peuplier "
     "3 mm, assemblée sans colle.", "laser, bois, luminaire", ("Découpeuse laser",),
     "CC-BY-SA-4.0", "easy", 4, 18, (222, 170, 90), "lamp",
     (("Préparer le fichier", "Ouvrez `lampe.svg` dans Inkscape et vérifiez que les traits de "
       "coupe sont **rouges, épaisseur 0,01 mm**."),
      ("Découper les lamelles", "Contreplaqué peuplier 3 mm : vitesse 20 mm/s, puissance 80 %. "
       "Comptez 25 minutes de découpe."),
      ("Assembler", "Emboîtez les 24 lamelles sur les deux anneaux, en alternant le sens. "
       "Passez la douille E14 par le centre."),
      ("Câbler", "Douille, interrupteur à pied, câble textile : faites vérifier le câblage par "
       "un animateur avant de brancher.")),
     (("Contreplaqué peuplier 3 mm", "1", "plaque 60×30 cm", "Fournisseur local"),
      ("Douille E14 avec câble", "1", "pcs", "Magasin de bricolage"),
      ("Ampoule LED E14 4 W", "1", "pcs", "")), ("svg", "pdf")),
    ("Grille-pain réparé au repair café", "Un grille-pain qui ne chauffait plus d'un côté : "
     "diagnostic, remplacement du thermofusible.", "repair café, électroménager, réparation",
     ("Poste de soudure",), "CC-BY-4.0", "medium", 2, 4, (180, 60, 40), "toaster",
     (("Débrancher et ouvrir", "Débranchez ! Retirez le tiroir à miettes puis les 4 vis "
       "tri-lobes (embout spécial)."),
      ("Mesurer", "Au multimètre, la résistance de gauche affiche l'infini : le fil est coupé "
       "au niveau du **thermofusible**."),
      ("Remplacer le thermofusible", "Thermofusible 240 °C serti (pas soudé : la soudure "
       "fondrait)."),
      ("Tester", "Remontez, testez à vide 3 cycles, vérifiez la continuité de la terre.")),
     (("Thermofusible 240 °C 10 A", "1", "pcs", "Électronique en ligne"),
      ("Cosse à sertir", "2", "pcs", "")), ("pdf",)),
    ("Station météo Arduino", "Température, humidité, pression et pluie, affichées sur une "
     "page web locale.", "arduino, météo, électronique, capteurs",
     ("Imprimante 3D Prusa MK4 n°1", "Poste de soudure"), "CERN-OHL-S-2.0", "medium", 8, 42,
     (70, 130, 180), "weather",
     (("Imprimer le boîtier", "Fichier `boitier.stl`, PETG, remplissage 20 %, sans supports."),
      ("Souder les capteurs", "BME280 en I2C (SDA sur A4, SCL sur A5), pluviomètre sur D2 "
       "avec une résistance de tirage de 10 kΩ."),
      ("Téléverser le programme", "Ouvrez `meteo.ino`, installez la bibliothèque Adafruit "
       "BME280 et téléversez."),
      ("Installer dehors", "À l'ombre, à 1,5 m du sol, loin des murs.")),
     (("ESP32 DevKit", "1", "pcs", ""), ("Capteur BME280", "1", "pcs", ""),
      ("Pluviomètre à augets", "1", "pcs", "Récupération"), ("PETG", "120", "g", "")),
     ("stl", "ino")),
    ("Tabouret en CNC, sans vis", "Un tabouret empilable usiné dans un panneau de "
     "contreplaqué de 18 mm.", "cnc, mobilier, bois", ("Fraiseuse",), "CC-BY-SA-4.0", "hard",
     10, 65, (150, 110, 70), "stool",
     (("Usiner", "Fraise 6 mm deux dents, 3 passes. Prévoyez des ponts de maintien."),
      ("Poncer", "Grain 120 puis 240, arrondissez les arêtes."),
      ("Assembler", "Emboîtements à queue d'aronde : un maillet suffit."),
      ("Finir", "Deux couches d'huile dure.")),
     (("Contreplaqué bouleau 18 mm", "0.5", "m²", ""), ("Huile dure", "0.1", "l", "")),
     ("dxf",)),
    ("Porte-clés personnalisés en impression 3D", "Un atelier de 2 heures pour les 8-12 ans : "
     "dessiner son prénom dans Tinkercad et l'imprimer.", "impression 3d, enfants, atelier",
     ("Imprimante 3D Prusa MK4 n°2",), "CC0-1.0", "easy", 2, 1, (240, 120, 160), "keyring",
     (("Dessiner", "Dans Tinkercad, un rectangle arrondi de 50 × 20 × 3 mm et le prénom en "
       "relief de 2 mm."),
      ("Imprimer", "PLA, 0,2 mm, 15 minutes par porte-clés.")),
     (("PLA", "5", "g", ""), ("Anneau de porte-clés", "1", "pcs", "")), ("stl", "scad")),
    ("Sac cabas en bâche publicitaire", "Des bâches de la médiathèque transformées en sacs "
     "solides.", "couture, upcycling, textile", ("Machine à coudre",), "CC-BY-SA-4.0", "easy",
     3, 3, (60, 160, 110), "bag",
     (("Découper", "Deux rectangles de 40 × 45 cm et deux anses de 60 × 8 cm."),
      ("Coudre", "Aiguille jean 100, point droit long, coutures rabattues.")),
     (("Bâche PVC", "1", "m²", "Médiathèque municipale"), ("Fil polyester", "20", "m", "")),
     ("pdf",)),
    ("Flocage de t-shirts pour l'association", "Logo de l'association découpé au plotter "
     "vinyle et pressé à chaud.", "vinyle, textile, association", ("Plotter",), "CC-BY-4.0",
     "easy", 2, 30, (200, 60, 120), "shirt",
     (("Vectoriser le logo", "Inkscape, vectoriser un bitmap, 2 couleurs maximum."),
      ("Découper en miroir", "N'oubliez pas le miroir ! Lame 45°, force 90 g."),
      ("Presser", "150 °C, 15 secondes, pelage à froid.")),
     (("Vinyle thermocollant", "1", "m", ""), ("T-shirt coton", "10", "pcs", "")), ("svg",)),
    ("Robot suiveur de ligne", "Le robot du club robotique : deux moteurs, trois capteurs "
     "infrarouges et un Arduino Nano.", "robotique, arduino, club", ("Imprimante 3D",
                                                                    "Poste de soudure"),
     "GPL-3.0-or-later", "medium", 12, 28, (90, 90, 200), "robot",
     (("Imprimer le châssis", "`chassis.stl`, PLA, 30 % de remplissage."),
      ("Câbler", "Pont en H L298N, capteurs TCRT5000 sur A0-A2."),
      ("Programmer", "Régulateur proportionnel : commencez avec Kp = 0,8.")),
     (("Arduino Nano", "1", "pcs", ""), ("Moteur TT avec roue", "2", "pcs", ""),
      ("Capteur TCRT5000", "3", "pcs", "")), ("stl", "ino")),
    ("Nichoir à mésanges", "Un nichoir aux dimensions recommandées par la LPO, découpé au "
     "laser.", "laser, nature, bois", ("Découpeuse laser",), "CC0-1.0", "easy", 2, 8,
     (120, 160, 80), "house",
     (("Découper", "Contreplaqué 6 mm, trou d'envol de 28 mm."),
      ("Assembler", "Vis inox, toit amovible pour le nettoyage.")),
     (("Contreplaqué 6 mm", "1", "plaque 60×40 cm", ""), ("Vis inox 3×20", "12", "pcs", "")),
     ("svg",)),
    ("Carte électronique de feu tricolore", "Un petit circuit imprimé pour apprendre à "
     "souder : trois LED et un NE555.", "électronique, soudure, pcb", ("Poste de soudure",),
     "CERN-OHL-W-2.0", "easy", 1, 3, (40, 120, 60), "pcb",
     (("Souder les composants bas", "Résistances d'abord, puis le support de circuit."),
      ("Souder les LED", "Attention au sens : la patte longue est l'anode.")),
     (("Circuit imprimé", "1", "pcs", "Fabriqué à partir des Gerber"),
      ("NE555", "1", "pcs", ""), ("LED 5 mm", "3", "pcs", "")), ("gerber",)),
    ("Support de téléphone ajustable", "Un support imprimé en une pièce, angle réglable par "
     "crans.", "impression 3d, openscad", ("Imprimante 3D Bambu",), "MIT", "easy", 1, 1,
     (100, 100, 100), "phone",
     (("Paramétrer", "Dans `support.scad`, réglez l'épaisseur du téléphone."),
      ("Imprimer", "PETG, 0,2 mm, à plat.")), (("PETG", "30", "g", ""),), ("scad", "stl")),
    ("Enceinte Bluetooth en bambou", "Une enceinte de récupération : haut-parleurs d'une "
     "vieille chaîne, caisson découpé au laser.", "audio, laser, récupération",
     ("Découpeuse laser", "Poste de soudure"), "CC-BY-SA-4.0", "hard", 9, 35, (190, 150, 60),
     "speaker",
     (("Récupérer", "Démontez les haut-parleurs et mesurez leur impédance."),
      ("Découper le caisson", "Bambou 5 mm, assemblage en créneaux."),
      ("Câbler", "Module Bluetooth 2×15 W, alimentation 12 V.")),
     (("Panneau de bambou 5 mm", "1", "plaque", ""), ("Module ampli Bluetooth", "1", "pcs", "")),
     ("svg", "pdf")),
)

SKILLS = (
    ("Camille M.", (("arduino", "expert"), ("soudure", "confirmed"), ("inkscape", "beginner"))),
    ("Léa", (("couture", "confirmed"), ("broderie", "beginner"))),
    ("Hugo", (("réparation électroménager", "expert"), ("électricité", "confirmed"))),
    ("Chloé D.", (("fusion 360", "confirmed"), ("impression 3d", "expert"))),
    ("Nathan", (("robotique", "confirmed"), ("python", "confirmed"))),
    ("Karim B.", (("menuiserie", "expert"), ("cnc", "confirmed"))),
)


@functools.cache
def draw_image(colour, shape: str, seed: int, label: str = "") -> bytes:
    """An illustration drawn here: a background, a shape for the project (a JPEG,
    drawn once per process: the uploads re-encode it anyway)."""
    rng = random.Random(seed)
    width, height = 800, 600
    image = Image.new("RGB", (width, height), tuple(min(255, c + 60) for c in colour))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randint(0, width), rng.randint(0, height)
        r = rng.randint(10, 60)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(min(255, c + 90) for c in colour))
    cx, cy = width // 2, height // 2
    dark = tuple(max(0, c - 70) for c in colour)
    if shape == "lamp":
        for i in range(12):
            x = cx - 150 + i * 27
            draw.rectangle((x, cy - 150, x + 12, cy + 150), fill=colour, outline=dark)
        draw.ellipse((cx - 40, cy - 40, cx + 40, cy + 40), fill=(255, 240, 170))
    elif shape == "toaster":
        draw.rounded_rectangle((cx - 200, cy - 100, cx + 200, cy + 150), 40, fill=colour,
                               outline=dark, width=6)
        draw.rectangle((cx - 140, cy - 110, cx - 30, cy - 90), fill=dark)
        draw.rectangle((cx + 30, cy - 110, cx + 140, cy - 90), fill=dark)
    elif shape == "weather":
        draw.rectangle((cx - 10, cy - 50, cx + 10, cy + 220), fill=dark)
        for i in range(3):
            angle = i * 2 * math.pi / 3
            x, y = cx + 120 * math.cos(angle), cy - 120 + 120 * math.sin(angle) * 0.4
            draw.line((cx, cy - 120, x, y), fill=dark, width=6)
            draw.ellipse((x - 25, y - 25, x + 25, y + 25), fill=colour, outline=dark, width=4)
    elif shape in ("pcb", "robot"):
        draw.rectangle((cx - 220, cy - 140, cx + 220, cy + 140), fill=colour, outline=dark,
                       width=6)
        for _ in range(25):
            x, y = rng.randint(cx - 200, cx + 180), rng.randint(cy - 120, cy + 110)
            draw.rectangle((x, y, x + 20, y + 12), fill=(230, 200, 80))
        if shape == "robot":
            for dx in (-260, 240):
                draw.ellipse((cx + dx, cy - 60, cx + dx + 40, cy + 60), fill=(40, 40, 40))
    else:
        points = [(cx + 200 * math.cos(a), cy + 180 * math.sin(a))
                  for a in [i * 2 * math.pi / 6 + seed for i in range(6)]]
        draw.polygon(points, fill=colour, outline=dark)
    if label:
        draw.text((30, height - 40), label, fill=dark)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def sample_file(kind: str, title: str) -> tuple[bytes, str]:
    slug = services.slugify(title)[:30]
    if kind == "svg":
        return (f'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="600mm" '
                f'height="300mm" viewBox="0 0 600 300"><rect x="10" y="10" width="580" '
                f'height="280" fill="none" stroke="red" stroke-width="0.01"/></svg>\n'
                ).encode(), f"{slug}.svg"
    if kind == "pdf":
        return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
                b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"), f"{slug}-notice.pdf"
    if kind == "stl":
        facets = "".join(
            f" facet normal 0 0 1\n  outer loop\n   vertex {x} 0 0\n   vertex {x + 1} 0 0\n"
            f"   vertex {x} 1 0\n  endloop\n endfacet\n" for x in range(4))
        return f"solid {slug}\n{facets}endsolid {slug}\n".encode(), f"{slug}.stl"
    if kind == "ino":
        return (b"#include <Wire.h>\n\nvoid setup() {\n  Serial.begin(115200);\n}\n\n"
                b"void loop() {\n  delay(1000);\n}\n"), f"{slug}.ino"
    if kind == "scad":
        return (b"// Parametric part\nthickness = 12;\ndifference() {\n  cube([60, 40, 3]);\n"
                b"  translate([5, 5, -1]) cube([thickness, 30, 5]);\n}\n"), f"{slug}.scad"
    if kind == "dxf":
        return (b"  0\nSECTION\n  2\nENTITIES\n  0\nLINE\n  8\n0\n 10\n0.0\n 20\n0.0\n 11\n"
                b"400.0\n 21\n0.0\n  0\nENDSEC\n  0\nEOF\n"), f"{slug}.dxf"
    if kind == "gerber":
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"{slug}-F_Cu.gtl", "G04 demo*\nM02*\n")
            archive.writestr(f"{slug}.drl", "M48\nM30\n")
        return buffer.getvalue(), f"{slug}-gerber.zip"
    raise ValueError(kind)


def load_projects_demo(moment: DemoMoment, site, staff, member, people) -> None:
    authors = [people[0], people[1], people[2], people[3], people[4], people[10], member]
    for person, (name, skills) in zip(
            (people[0], people[1], people[2], people[3], people[4], people[10]), SKILLS):
        accounts.save_public_profile(person, name, "", in_directory=True)
        for skill, level in skills:
            accounts.add_skill(person, skill, level)
    accounts.save_public_profile(member, "Marie A.", "", in_directory=False)
    machines = db.session.scalars(select(Resource).where(Resource.kind == "machine")).all()
    now = moment.now
    for n, (title, summary, tags, machine_names, licence, difficulty, hours, cost, colour,
            shape, steps, bom, files) in enumerate(PROJECTS):
        owner = authors[n % len(authors)]
        project = services.create_project(owner, title, summary)
        services.update_project(
            owner, project, title=title, summary=summary,
            intro=f"{summary}\n\nProjet réalisé au fablab ; n'hésitez pas à poser vos questions "
                  "à l'accueil.",
            difficulty=difficulty, duration_minutes=hours * 60, cost_cents=cost * 100,
            licence=licence, language="fr", tags=tags,
            machine_ids=[m.id for m in machines
                         if any(m.name.startswith(prefix) for prefix in machine_names)])
        cover = io.BytesIO(draw_image(colour, shape, n))
        services.add_file(owner, project, cover, f"{services.slugify(title)}.jpg")
        for k, (step_title, body) in enumerate(steps):
            image = None
            if k % 2 == 1:
                image = io.BytesIO(draw_image(colour, shape, n * 10 + k, step_title))
            services.add_step(owner, project, step_title, body, image,
                              f"etape-{k + 1}.jpg" if image else "")
        for name, quantity, unit, source in bom:
            services.add_bom_line(owner, project, name, quantity, unit, source)
        for kind in files:
            data, filename = sample_file(kind, title)
            services.add_file(owner, project, io.BytesIO(data), filename)
        if n == 2:  # the weather station has a co-author
            link = services.invite_coauthor(owner, project, people[4].email)
            link.accepted_at = now
        if n < 11:  # the last one stays a draft
            services.publish(owner, project)
            project.published_at = now - timedelta(days=(12 - n) * 9)
        project.featured = n in (0, 2, 7)
        db.session.flush()
