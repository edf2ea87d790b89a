"""The Open Repair Data Standard (ORDS) 0.3: the columns of the repair café export
and the codelists its values come from.

Source: the Open Repair Alliance's standard, version 0.3 (published December 2021,
CC BY-SA 4.0), "Field names and data types", "Product category values", "Repair
status values" and "Repair barrier values" (github.com/openrepair/datastandard,
standard.rst at commit c1a1f29). The names are copied as the standard spells them.
"""

from __future__ import annotations

# The "Field reference" table, in its order: the export's header row.
COLUMNS = (
    "id", "partner_product_category", "product_category", "product_category_id", "brand",
    "year_of_manufacture", "product_age", "problem", "repair_status",
    "repair_barrier_if_end_of_life", "group_identifier", "event_date", "data_provider",
    "country", "record_date",
)

# ORDS covers powered (EEE) devices only: an unpowered object has no product category.
PRODUCT_CATEGORIES = {
    1: "Aircon/dehumidifier",
    2: "Battery/charger/adapter",
    3: "Decorative or safety lights",
    4: "Desktop computer",
    5: "Digital compact camera",
    6: "DSLR/video camera",
    7: "Fan",
    8: "Flat screen",
    9: "Hair & beauty item",
    10: "Handheld entertainment device",
    11: "Headphones",
    12: "Hi-Fi integrated",
    13: "Hi-Fi separates",
    14: "Kettle",
    15: "Lamp",
    16: "Laptop",
    17: "Large home electrical",
    18: "Misc",
    19: "Mobile",
    20: "Musical instrument",
    21: "Paper shredder",
    22: "PC accessory",
    23: "Portable radio",
    24: "Power tool",
    25: "Printer/scanner",
    26: "Projector",
    27: "Sewing machine",
    28: "Small home electrical",
    29: "Small kitchen item",
    30: "Tablet",
    31: "Toaster",
    32: "Toy",
    33: "TV and gaming-related accessories",
    34: "Vacuum",
    35: "Watch/clock",
    36: "Coffee maker",
    37: "Food processor",
    38: "Games console",
    39: "Hair dryer",
    40: "Iron",
}

# Our outcomes and barriers (RepairItem.outcome, RepairItem.barrier) as codelist texts.
REPAIR_STATUS = {"fixed": "Fixed", "repairable": "Repairable", "end_of_life": "End of life"}
REPAIR_BARRIERS = {
    "spare_parts_unavailable": "Spare parts not available",
    "spare_parts_too_expensive": "Spare parts too expensive",
    "cannot_open": "No way to open product",
    "no_repair_information": "Repair information not available",
    "lack_of_equipment": "Lack of equipment",
    "too_worn_out": "Item too worn out",
}
