"""Repair café: the Open Repair Data Standard 0.3.

Each repair category gets its ORDS product category (filled here for the seeded
categories; the unpowered ones have none, the standard lists powered devices only).
A repair item gets its year of manufacture, its own weight when weighed, and the
date it was last written (the export's record_date); the barriers to repair gain
the standard's sixth one, "too worn out".

Revision ID: b7b6b295aab5
Revises: 537a0f4ca516
Create Date: 2026-12-02 14:57:19.461706

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7b6b295aab5'
down_revision = '537a0f4ca516'
branch_labels = None
depends_on = None

OLD_BARRIERS = ("'spare_parts_unavailable', 'spare_parts_too_expensive', 'cannot_open', "
                "'no_repair_information', 'lack_of_equipment'")
NEW_BARRIERS = OLD_BARRIERS + ", 'too_worn_out'"
ORDS_CHECK = "ords_category_id IS NULL OR ords_category_id BETWEEN 1 AND 40"

# The seeded categories (migration f9d9fe07e8f4) and their ORDS product category ids.
SEED_ORDS_CATEGORIES = {
    "Ordinateur de bureau": 4,  # Desktop computer
    "Ordinateur portable": 16,  # Laptop
    "Tablette": 30,  # Tablet
    "Téléphone portable": 19,  # Mobile
    "Écran plat 22-24\"": 8,  # Flat screen
    "Téléviseur 32-37\"": 8,  # Flat screen (TVs and monitors)
    "Imprimante / scanner": 25,  # Printer/scanner
    "Accessoire informatique": 22,  # PC accessory
    "Appareil photo compact": 5,  # Digital compact camera
    "Casque audio": 11,  # Headphones
    "Chaîne hi-fi": 12,  # Hi-Fi integrated
    "Radio portable": 23,  # Portable radio
    "Instrument de musique": 20,  # Musical instrument
    "Console et accessoires de jeu": 33,  # TV and gaming-related accessories
    "Ventilateur": 7,  # Fan
    "Sèche-cheveux / beauté": 9,  # Hair & beauty item
    "Bouilloire": 14,  # Kettle
    "Lampe": 15,  # Lamp
    "Outil électroportatif": 24,  # Power tool
    "Petit électroménager de cuisine": 29,  # Small kitchen item
    "Grille-pain": 31,  # Toaster
    "Jouet électrique": 32,  # Toy
    "Aspirateur": 34,  # Vacuum
}


def upgrade():
    # repair_categories is referenced by repair_items: SQLite cannot rebuild it (batch
    # mode) under that foreign key, so the column comes with its CHECK in the ADD COLUMN.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE repair_categories ADD COLUMN ords_category_id INTEGER "
                   f"CONSTRAINT ck_repair_categories_ords_category_valid CHECK ({ORDS_CHECK})")
    else:
        op.add_column('repair_categories',
                      sa.Column('ords_category_id', sa.Integer(), nullable=True))
        op.create_check_constraint(op.f('ck_repair_categories_ords_category_valid'),
                                   'repair_categories', ORDS_CHECK)
    categories = sa.table('repair_categories', sa.column('name', sa.String),
                          sa.column('ords_category_id', sa.Integer))
    for name, ords_id in SEED_ORDS_CATEGORIES.items():
        op.execute(categories.update().where(categories.c.name == name)
                   .values(ords_category_id=ords_id))

    # Nothing references repair_items: batch mode rebuilds it on SQLite.
    with op.batch_alter_table('repair_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year_of_manufacture', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('weight_kg', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_repair_items_barrier_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_repair_items_barrier_valid'),
                                         f"barrier IS NULL OR barrier IN ({NEW_BARRIERS})")
        batch_op.create_check_constraint(
            op.f('ck_repair_items_year_of_manufacture_valid'),
            "year_of_manufacture IS NULL OR year_of_manufacture >= 1900")
        batch_op.create_check_constraint(
            op.f('ck_repair_items_weight_valid'),
            "weight_kg IS NULL OR (weight_kg > 0 AND weight_kg <= 200)")
    op.execute("UPDATE repair_items SET updated_at = created_at")
    with op.batch_alter_table('repair_items', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)


def downgrade():
    op.execute("UPDATE repair_items SET barrier = NULL WHERE barrier = 'too_worn_out'")
    with op.batch_alter_table('repair_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_repair_items_weight_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_repair_items_year_of_manufacture_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_repair_items_barrier_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_repair_items_barrier_valid'),
                                         f"barrier IS NULL OR barrier IN ({OLD_BARRIERS})")
        batch_op.drop_column('updated_at')
        batch_op.drop_column('weight_kg')
        batch_op.drop_column('year_of_manufacture')

    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column whose only constraint is its own CHECK in place.
        op.execute("ALTER TABLE repair_categories DROP COLUMN ords_category_id")
    else:
        op.drop_constraint(op.f('ck_repair_categories_ords_category_valid'), 'repair_categories',
                           type_='check')
        op.drop_column('repair_categories', 'ords_category_id')
