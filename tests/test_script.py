"""production/script.py: reading, repairs, sentences, credits, boilerplate, the ingest summary."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.errors import ScriptError
from production.models import Credit
from production.script import (
    NEWLINES,
    load_script,
    parse_script,
    read_text,
    script_summary,
    split_sentences,
)

# An original script in the shape of a delivered one (title without spaces, greeting, body,
# credits, Chinese page boilerplate after them).
SAMPLE_LINES = [
    "TechWeekly丨SolarFarmsinGansu:Thebig",
    "Hello! Welcome to Tech Weekly. I\u2019m Dana Wu.",
    "Gansu province added 12.5 gigawatts of solar capacity in 2024, according to the U.S. "
    "Dept. of Energy.",
    "Local Ramp;D centres employ 3,000 engineers. Dr. Ma, who leads one, says it\u2018s "
    '\u201cjust the beginning".',
    "-",
    "Host: Dana WU",
    "Writer: Dana WU",
    "Graphic Designer: ZHAO Lin, QIAN Yue",
    "Produced by Example Media Dept. of Science News.",
    "Presented by EXM",
    "免责声明：本文仅供参考。",
    "推荐阅读",
    "-",
    "光伏产业迎来新机遇……2025-01-01 10:00:00",
]
SAMPLE = "\n".join(SAMPLE_LINES) + "\n"


# ---------------------------------------------------------------------------------------------
# read_text: encodings


ENGLISH = "Title line\nHello! I\u2019m Dana \u2014 welcome.\nR&D rose 10%.\n"
CHINESE = "研发投入增长了百分之十。\n杭州的“六小龙”正在崛起！\n"
MIXED = "Hello 你好：CBN Perspective 丨 研发（R&D）\n"


@pytest.mark.parametrize(
    ("encoding", "expected_name"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16-le"),  # Python writes a little-endian BOM
        ("utf-32", "utf-32-le"),
    ],
)
@pytest.mark.parametrize("text", [ENGLISH, CHINESE, MIXED])
def test_read_text_unicode_encodings(
    tmp_path: Path, encoding: str, expected_name: str, text: str
) -> None:
    path = tmp_path / "script.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == (text, expected_name)


def test_read_text_utf16_big_endian_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "script.txt"
    path.write_bytes(codecs.BOM_UTF16_BE + ENGLISH.encode("utf-16-be"))
    assert read_text(path) == (ENGLISH, "utf-16-be")


def test_read_text_utf16_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "script.txt"
    path.write_bytes(ENGLISH.encode("utf-16-le"))
    assert read_text(path) == (ENGLISH, "utf-16-le")


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "gb2312"])
@pytest.mark.parametrize("text", [CHINESE, MIXED])
def test_read_text_chinese_legacy_encodings(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / "script.zh.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == (text, "gb18030")


def test_read_text_windows_1252_english_is_not_read_as_chinese(tmp_path: Path) -> None:
    text = "He said \u201cno\u201d and it\u2019s over \u2013 caf\u00e9.\n"
    path = tmp_path / "script.txt"
    path.write_bytes(text.encode("cp1252"))
    assert read_text(path) == (text, "cp1252")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_read_text_normalises_newlines(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "script.txt"
    path.write_bytes(ENGLISH.replace("\n", newline).encode("utf-8"))
    assert read_text(path)[0] == ENGLISH


def test_read_text_crlf_in_utf16(tmp_path: Path) -> None:
    path = tmp_path / "script.txt"
    path.write_bytes(CHINESE.replace("\n", "\r\n").encode("utf-16"))
    assert read_text(path)[0] == CHINESE


def test_read_text_binary_file_is_a_script_error(tmp_path: Path) -> None:
    path = tmp_path / "host.wav"
    path.write_bytes(
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00" + bytes(range(256))
    )
    with pytest.raises(ScriptError, match="does not look like a text file"):
        read_text(path)


def test_read_text_missing_file_is_a_script_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read"):
        read_text(tmp_path / "absent.txt")


def test_read_text_does_not_modify_the_file(tmp_path: Path) -> None:
    path = tmp_path / "script.txt"
    data = ENGLISH.replace("\n", "\r\n").encode("utf-8-sig")
    path.write_bytes(data)
    read_text(path)
    assert path.read_bytes() == data


TEXT = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from("\n\r")),
    max_size=200,
)


@given(text=TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32"]))
def test_property_unicode_files_are_never_mangled(
    tmp_path_factory: pytest.TempPathFactory, text: str, encoding: str
) -> None:
    path = tmp_path_factory.mktemp("enc") / "script.txt"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    assert read_text(path)[0] == NEWLINES.sub("\n", text).lstrip("\ufeff")


# ---------------------------------------------------------------------------------------------
# split_sentences


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        ("Prices rose. Wages did not.", ["Prices rose.", "Wages did not."]),
        ("Really? Yes! Good.", ["Really?", "Yes!", "Good."]),
        (
            "The Dept. of Energy said so. It was late.",
            ["The Dept. of Energy said so.", "It was late."],
        ),
        ("Ask Dr. Ma and Mr. Li. They know.", ["Ask Dr. Ma and Mr. Li.", "They know."]),
        ("The U.S. Congress met. It ended.", ["The U.S. Congress met.", "It ended."]),
        ("Made in the U.S. The rest came later.", ["Made in the U.S.", "The rest came later."]),
        ("Growth was 1.2 percent. Costs fell.", ["Growth was 1.2 percent.", "Costs fell."]),
        ("The lab released R1. It was cheap.", ["The lab released R1.", "It was cheap."]),
        (
            "Firms, e.g. Tencent, grew. Others shrank.",
            ["Firms, e.g. Tencent, grew.", "Others shrank."],
        ),
        ("J. K. Rowling wrote it. Fans agreed.", ["J. K. Rowling wrote it.", "Fans agreed."]),
        ("Wait... and then it rose. Then it fell.", ["Wait... and then it rose.", "Then it fell."]),
        ("It fell\u2026 Nobody knew why.", ["It fell\u2026", "Nobody knew why."]),
        ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
        (
            "She asked \u201cwhy?\u201d Nobody answered.",
            ["She asked \u201cwhy?\u201d", "Nobody answered."],
        ),
        ("It cost approx. five dollars.", ["It cost approx. five dollars."]),
        (
            "Apple Inc. makes phones. Samsung Co. Ltd. too.",
            ["Apple Inc. makes phones.", "Samsung Co. Ltd. too."],
        ),
        ("No. 5 is next. Go.", ["No. 5 is next.", "Go."]),
        ("No terminator here", ["No terminator here"]),
        ("Done. \u2014", ["Done. \u2014"]),
    ],
)
def test_split_sentences(paragraph: str, sentences: list[str]) -> None:
    assert split_sentences(paragraph) == sentences


PIECES = st.sampled_from(
    [*"Ab1. ?!\u2026\"\u201d')eU.S\n", "Dr.", "Dept.", " The ", "e.g.", " 1.2", "..."]
)


@given(st.lists(PIECES, max_size=60).map("".join))
def test_property_splitting_never_loses_or_reorders_characters(paragraph: str) -> None:
    sentences = split_sentences(paragraph)
    # pieces are cut at whitespace only, so rejoining with spaces gives the paragraph back
    assert " ".join(" ".join(sentences).split()) == " ".join(paragraph.split())
    assert all(s == s.strip() and s for s in sentences)


@given(st.text(max_size=200))
def test_property_splitting_arbitrary_text_keeps_characters(paragraph: str) -> None:
    sentences = split_sentences(paragraph)
    assert re.sub(r"\s", "", "".join(sentences)) == re.sub(r"\s", "", paragraph)


# ---------------------------------------------------------------------------------------------
# parse_script on the sample


@pytest.fixture(scope="module")
def sample():
    return parse_script(SAMPLE)


def test_title_lost_spaces_are_restored_and_truncation_kept(sample) -> None:
    # "Tech", "Weekly", "Gansu" are words the body uses; "SolarFarmsin" is cut at camel case;
    # lower-case runs ("in") can't be cut without a dictionary and stay as they are.
    assert sample.title == "Tech Weekly | Solar Farmsin Gansu: Thebig"
    assert ("title-spacing", "TechWeekly丨SolarFarmsinGansu:Thebig") in [
        (r.kind, r.before) for r in sample.repairs
    ]


def test_greeting_is_body_and_paragraphs_have_stable_ids(sample) -> None:
    texts = [s.text for s in sample.sentences]
    assert texts[:3] == ["Hello!", "Welcome to Tech Weekly.", "I\u2019m Dana Wu."]
    assert [s.id for s in sample.sentences] == [f"s{n:04d}" for n in range(1, 7)]
    assert [s.paragraph for s in sample.sentences] == [0, 0, 0, 1, 2, 2]
    assert len(sample.paragraphs) == 3


def test_entity_damage_repaired_and_spoken_form(sample) -> None:
    sentence = sample.sentences[4]
    assert sentence.text == "Local R&D centres employ 3,000 engineers."
    assert sentence.spoken == "Local R and D centres employ three thousand engineers."
    assert any(
        r.kind == "html-entity" and r.before == "Ramp;D" and r.after == "R&D"
        for r in sample.repairs
    )


def test_wrong_quotes_repaired_for_captions_and_plain_in_spoken(sample) -> None:
    sentence = sample.sentences[5]
    assert sentence.text.endswith("says it\u2019s \u201cjust the beginning\u201d.")
    assert "it's just the beginning" in sentence.spoken
    assert sentence.spoken.isascii()
    kinds = [(r.kind, r.before, r.after) for r in sample.repairs]
    assert ("quote", "it\u2018s", "it\u2019s") in kinds
    assert ("quote", '\u201cjust the beginning".', "\u201cjust the beginning\u201d.") in kinds


def test_abbreviations_do_not_split_sentences(sample) -> None:
    assert sample.sentences[3].text.endswith("according to the U.S. Dept. of Energy.")
    assert "U S Department of Energy" in sample.sentences[3].spoken
    assert (
        sample.sentences[5].text
        == "Dr. Ma, who leads one, says it\u2019s \u201cjust the beginning\u201d."
    )


def test_credits_block(sample) -> None:
    assert sample.credits == (
        Credit("Host", ("Dana WU",)),
        Credit("Writer", ("Dana WU",)),
        Credit("Graphic Designer", ("ZHAO Lin", "QIAN Yue")),
        Credit("Produced by", ("Example Media Dept. of Science News",)),
        Credit("Presented by", ("EXM",)),
    )


def test_junk_and_boilerplate_dropped(sample) -> None:
    assert sample.dropped == (
        "-",
        "免责声明：本文仅供参考。",
        "推荐阅读",
        "-",
        "光伏产业迎来新机遇……2025-01-01 10:00:00",
    )
    assert not any("推荐" in s.text or s.text == "-" for s in sample.sentences)


# ---------------------------------------------------------------------------------------------
# Each repair


BODY = "A title\nFirst paragraph here.\n{line}\nHost: Dana WU\nWriter: Dana WU\n"


@pytest.mark.parametrize(
    ("damaged", "repaired", "before"),
    [
        ("R&amp;D grew.", "R&D grew.", "R&amp;D"),
        ("Ramp;D grew.", "R&D grew.", "Ramp;D"),
        ("The Ramp;D-intensive stage.", "The R&D-intensive stage.", "Ramp;D"),
        ("R&amp;amp;D grew.", "R&D grew.", "R&amp;amp;D"),
        ("He said &quot;yes&quot; to it.", 'He said "yes" to it.', "&quot;yes"),
        ("It&#39;s here.", "It's here.", "It&#39;s"),
        ("It&rsquo;s here.", "It\u2019s here.", "It&rsquo;s"),
        ("He said quot;yesquot; to it.", 'He said "yes" to it.', "quot;yesquot;"),
        ("Tea&nbsp;time is here.", "Tea time is here.", "Tea&nbsp;time"),
    ],
)
def test_entity_repairs(damaged: str, repaired: str, before: str) -> None:
    script = parse_script(BODY.format(line=damaged))
    assert script.paragraphs[1][0].text == repaired
    assert any(r.kind == "html-entity" and r.before.startswith(before[:3]) for r in script.repairs)


@pytest.mark.parametrize(
    "line", ["They set up camp; then left.", "A&B is fine.", "The &unknown; stays."]
)
def test_text_that_only_looks_damaged_is_left_alone(line: str) -> None:
    script = parse_script(BODY.format(line=line))
    assert script.paragraphs[1][0].text == line
    assert not [r for r in script.repairs if r.kind == "html-entity"]


def test_quote_repairs() -> None:
    script = parse_script(BODY.format(line='It\u2018s the "so-called\u201d boom.'))
    assert script.paragraphs[1][0].text == "It\u2019s the \u201cso-called\u201d boom."
    assert script.paragraphs[1][0].spoken == "It's the so-called boom."


def test_invisible_characters_repaired() -> None:
    script = parse_script(BODY.format(line="Zero\u200bwidth and\u00a0no-break spaces."))
    assert script.paragraphs[1][0].text == "Zerowidth and no-break spaces."
    assert any(r.kind == "invisible-character" for r in script.repairs)


def test_repairs_are_counted() -> None:
    script = parse_script(BODY.format(line="Ramp;D here. Ramp;D there."))
    assert [r.count for r in script.repairs if r.before == "Ramp;D"] == [2]


# ---------------------------------------------------------------------------------------------
# Titles and body


@pytest.mark.parametrize(
    ("title", "repaired"),
    [
        # every lower-case word is in the body: split fully
        ("Desertsolar:Gansuengineersbuildfarms", "Desertsolar: Gansu engineers build farms"),
        # the last stretch may be cut off: two known words, then the unknown tail
        ("Solar丨Gansuengineersbuildfastandche", "Solar | Gansu engineers build fastandche"),
        ("Solar丨Gansuengineersbuildquick", "Solar | Gansu engineers build quick"),
        # one known word is not enough to split an unknown word ("aftermath" != "after math")
        ("Solar:Theaftermath", "Solar: The aftermath"),
    ],
)
def test_title_lower_case_words_split_by_body_vocabulary(title: str, repaired: str) -> None:
    body = "Gansu engineers build solar farms after the rains. The output is large.\nMore text.\n"
    assert parse_script(f"{title}\n{body}").title == repaired


def test_title_with_spaces_is_kept_as_written() -> None:
    script = parse_script("CBN Perspective | Why now\nHello there.\nBody text.\n")
    assert script.title == "CBN Perspective | Why now"
    assert not [r for r in script.repairs if r.kind == "title-spacing"]


def test_script_without_title_line_starts_with_greeting() -> None:
    script = parse_script("Hello! Welcome to the show.\nBody text here.\n")
    assert script.title == ""
    assert script.sentences[0].text == "Hello!"


def test_no_body_is_a_script_error() -> None:
    with pytest.raises(ScriptError, match="no body"):
        parse_script("A title only\n\nHost: Dana WU\nWriter: Dana WU\n推荐阅读\n")
    with pytest.raises(ScriptError, match="no body"):
        parse_script("")


@pytest.mark.parametrize(
    "text", [":\nBody here.\n", ":\n:\nA title\nBody.\nHost: A B\n", "：\n-\n:"]
)
def test_punctuation_only_lines_are_not_credits(text: str) -> None:
    # a bare ":" once looked like a credit with no role and no names and stalled the parser
    try:
        script = parse_script(text)
    except ScriptError:
        return
    assert all(c.role or c.names for c in script.credits)


@given(st.text(max_size=300))
def test_property_parse_script_raises_only_script_error(text: str) -> None:
    try:
        script = parse_script(text)
    except ScriptError:
        return
    assert script.sentences
    assert all(s.spoken and s.spoken.isascii() for s in script.sentences)
    assert len({s.id for s in script.sentences}) == len(script.sentences)


LINES = st.sampled_from(
    [
        "Title",
        "Hello! Welcome.",
        "Body sentence one. Body two.",
        "Host: Dana WU",
        "Editor:",
        "Dana WU",
        "Produced by X Media",
        "-",
        "推荐阅读",
        "郑重声明：仅供参考。",
        "Ramp;D grew 10%.",
        ": No Role",
        ":",
        "：",
        "Writer: A B and C D",
        "",
        "Tags: a, b",
    ]
)


@given(st.lists(LINES, max_size=12))
def test_property_parse_script_on_script_shaped_text(lines: list[str]) -> None:
    try:
        script = parse_script("\n".join(lines))
    except ScriptError:
        return
    assert all("Ramp;D" not in s.text for s in script.sentences)
    assert all(c.names for c in script.credits)


# ---------------------------------------------------------------------------------------------
# Credits edge cases


def credits_of(block: str) -> tuple[tuple[Credit, ...], list[str]]:
    script = parse_script("A title\nThe body is here.\n" + block)
    return script.credits, [r.kind for r in script.repairs]


def test_and_separated_names_are_split() -> None:
    credits, kinds = credits_of("Graphic Designer: ZHAO Lin and QIAN Yue\nHost: Dana WU\n")
    assert credits[0] == Credit("Graphic Designer", ("ZHAO Lin", "QIAN Yue"))
    assert "credit-name-list" in kinds


def test_company_names_with_and_are_not_split() -> None:
    credits, _ = credits_of("Host: Dana WU\nPresented by Johnson and Johnson\n")
    assert credits[1] == Credit("Presented by", ("Johnson and Johnson",))


def test_oxford_comma_list() -> None:
    credits, _ = credits_of("Editors: Ann LEE, Bo MA, and Cy HU\nHost: Dana WU\n")
    assert credits[0].names == ("Ann LEE", "Bo MA", "Cy HU")


def test_duplicate_roles_are_merged_and_reported() -> None:
    credits, kinds = credits_of("Writer: Ann LEE\nHost: Dana WU\nWriter: Bo MA, Ann LEE\n")
    assert credits == (Credit("Writer", ("Ann LEE", "Bo MA")), Credit("Host", ("Dana WU",)))
    assert "credit-duplicate-role" in kinds and "credit-duplicate-name" in kinds


def test_names_on_following_lines_continue_the_role() -> None:
    credits, kinds = credits_of("Host: Dana WU\nGraphic Designers:\nZHAO Lin\nQIAN Yue\n")
    assert credits[1] == Credit("Graphic Designers", ("ZHAO Lin", "QIAN Yue"))
    assert kinds.count("credit-no-role") == 2


def test_empty_role_joins_previous_credit() -> None:
    credits, kinds = credits_of("Host: Dana WU\nWriter: Ann LEE\n: Bo MA\n")
    assert credits[1] == Credit("Writer", ("Ann LEE", "Bo MA"))
    assert "credit-no-role" in kinds


def test_role_without_names_is_dropped_and_reported() -> None:
    credits, kinds = credits_of("Host: Dana WU\nEditor:\n")
    assert credits == (Credit("Host", ("Dana WU",)),)
    assert "credit-empty" in kinds


def test_names_are_never_recapitalised_and_abbreviations_kept() -> None:
    credits, _ = credits_of("Host: DANA Wu\nProduced by Example Co.\nPresented by ACME Inc.\n")
    assert credits[0].names == ("DANA Wu",)
    assert credits[1:] == (
        Credit("Produced by", ("Example Co.",)),
        Credit("Presented by", ("ACME Inc.",)),
    )


def test_colon_sentences_in_the_body_are_not_credits() -> None:
    script = parse_script(
        "A title\nThe question: why here?\nThe answer lies in patience.\nHost: Dana WU\n"
    )
    assert len(script.paragraphs) == 2
    assert script.credits == (Credit("Host", ("Dana WU",)),)


def test_credits_above_the_body() -> None:
    script = parse_script("Host: Dana WU\nWriter: Ann LEE\nHello! Welcome.\nThe body follows.\n")
    assert script.title == ""
    assert script.credits == (Credit("Host", ("Dana WU",)), Credit("Writer", ("Ann LEE",)))
    assert [s.text for s in script.sentences] == ["Hello!", "Welcome.", "The body follows."]


def test_english_page_junk_after_credits_is_dropped() -> None:
    script = parse_script(
        "A title\nThe body.\nHost: Dana WU\nWriter: Dana WU\nShare this story\nTags: AI, Gansu\n"
    )
    assert script.dropped == ("Share this story", "Tags: AI, Gansu")


# ---------------------------------------------------------------------------------------------
# Summary (the `perspective ingest --json` shape)


def test_script_summary_shape(sample) -> None:
    summary = script_summary(sample)
    assert set(summary) == {"title", "sentences", "credits", "dropped", "repairs"}
    assert set(summary["sentences"][0]) == {"id", "text", "spoken", "paragraph", "zh"}
    assert summary["sentences"][0]["zh"] is None
    assert summary["credits"][2] == {
        "role": "Graphic Designer",
        "names": ["ZHAO Lin", "QIAN Yue"],
    }
    assert {"kind", "before", "after", "count"} == set(summary["repairs"][0])


# ---------------------------------------------------------------------------------------------
# The seed: a real script as it reaches the sound editor


SEED_SENTENCES_PER_PARAGRAPH = [
    3,
    1,
    1,
    2,
    2,
    4,
    3,
    3,
    2,
    3,
    1,
    2,
    2,
    2,
    2,
    3,
    3,
    3,
    1,
    2,
    1,
]  # counted by hand


def test_seed_script(seed_script: Path) -> None:
    script = load_script(seed_script)
    assert [len(p) for p in script.paragraphs] == SEED_SENTENCES_PER_PARAGRAPH
    assert len(script.sentences) == 46
    assert script.sentences[0].text == "Hello!"
    assert script.title.startswith("CBN Perspective | DeepSeek aftermath")
    roles = [c.role for c in script.credits]
    assert roles == [
        "Executive Editor",
        "Editor",
        "Host",
        "Writer",
        "Sound Editor",
        "Graphic Designer",
        "Produced by",
        "Presented by",
    ]
    assert sum(len(c.names) for c in script.credits) == 9
    assert script.credits[5].names == ("ZHENG Wenjing", "LIAO Yuanni")
    assert script.credits[6].names == ("21st Century Business Herald Dept. of Overseas News",)
    assert script.credits[7].names == ("SFC",)


def test_seed_boilerplate_dropped_and_entities_repaired(seed_script: Path) -> None:
    script = load_script(seed_script)
    raw = seed_script.read_text(encoding="utf-8")
    cjk_lines = [line for line in raw.splitlines() if re.search(r"[\u4e00-\u9fff]", line)][
        1:
    ]  # not the title
    assert cjk_lines and set(cjk_lines) <= set(script.dropped)
    assert not any(re.search(r"[\u4e00-\u9fff]", s.text) for s in script.sentences)
    every_text = " ".join(s.text for s in script.sentences)
    assert "Ramp;D" not in every_text
    assert every_text.count("R&D") == raw.count("Ramp;D") == 3
    assert [r.count for r in script.repairs if r.before == "Ramp;D"] == [3]
    assert all("R and D" in s.spoken for s in script.sentences if "R&D" in s.text)
    assert any(r.kind == "quote" and r.after == "it\u2019s" for r in script.repairs)
    assert all(s.spoken.isascii() for s in script.sentences)
