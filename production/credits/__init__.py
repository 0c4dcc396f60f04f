"""Credits -> bilingual credit roll (video segment), credits.json, feed and ID3 credit data.

- roles.py   the role table (assets/roles.toml): English -> Chinese role, podcast taxonomy
- roll.py    Credits -> CreditRoll (checked, merged, warnings)
- exports.py credits.json, <podcast:person>, ID3 TIPL, show-notes paragraph
- layout.py  settings, title-safe geometry, the roll drawn by Pillow, the scroll plan
- render.py  the MP4 segment (ffmpeg) and the contact-sheet preview
"""

from .exports import (
    credits_json,
    id3_tipl,
    podcast_persons,
    shownotes_paragraph,
    write_credits_json,
)
from .fonts import FontFace, find_font, missing_glyphs
from .layout import Box, RollLine, RollSettings, roll_settings, safe_box, text_box
from .render import RollInfo, default_background, plan, preview_png, render_roll
from .roles import ROLES_PATH, RoleInfo, RolesFileError, load_roles, role_key
from .roll import (
    CreditRoll,
    RollEntry,
    build_credit_roll,
    credits_from_table,
    episode_credit_roll,
)

__all__ = [
    "ROLES_PATH",
    "Box",
    "CreditRoll",
    "FontFace",
    "RoleInfo",
    "RolesFileError",
    "RollEntry",
    "RollInfo",
    "RollLine",
    "RollSettings",
    "build_credit_roll",
    "credits_from_table",
    "credits_json",
    "default_background",
    "episode_credit_roll",
    "find_font",
    "id3_tipl",
    "load_roles",
    "missing_glyphs",
    "plan",
    "podcast_persons",
    "preview_png",
    "render_roll",
    "role_key",
    "roll_settings",
    "safe_box",
    "shownotes_paragraph",
    "text_box",
    "write_credits_json",
]
