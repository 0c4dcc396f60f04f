"""Fixtures for the credits tests: the seed credits as the script parser yields them."""

from __future__ import annotations

import pytest

from production.credits import CreditRoll, build_credit_roll
from production.models import Credit

# The seed's credits block (../shared/seeds/000_*.txt), as parse_script returns it.
SEED_CREDITS = (
    Credit("Executive Editor", ("Sonia YU",)),
    Credit("Editor", ("LI Yanxia",)),
    Credit("Host", ("Stephanie LI",)),
    Credit("Writer", ("Stephanie LI",)),
    Credit("Sound Editor", ("Stephanie LI",)),
    Credit("Graphic Designer", ("ZHENG Wenjing", "LIAO Yuanni")),
    Credit("Produced by", ("21st Century Business Herald Dept. of Overseas News",)),
    Credit("Presented by", ("SFC",)),
)

SEED_ZH_ROLES = {
    "Executive Editor": "执行主编",
    "Editor": "责任编辑",
    "Host": "主持人",
    "Writer": "撰稿",
    "Sound Editor": "音频编辑",
    "Graphic Designer": "美术设计",
    "Produced by": "制作",
    "Presented by": "出品",
}


@pytest.fixture(scope="session")
def seed_roll() -> CreditRoll:
    return build_credit_roll(SEED_CREDITS)
