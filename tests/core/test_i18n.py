"""The translation catalogues are complete and safe to compile.

Messages are written in English in the code; French is the default language.
These tests fail when a string is added to the code without a French
translation, when a translation is empty or fuzzy, or when a translation's
%(placeholders)s do not match the English ones (a KeyError at run time).

To fix a failure: ``make extract-messages``, then merge the template into the
catalogues (``pybabel update -i translations/messages.pot -d translations``),
translate the new entries and remove the ``fuzzy`` flags.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("fr", "en")

# %(name)s, %(n)d, %s, %.2f… but not the literal "%%".
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


def catalogue_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def load(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text or "")
                  if match.group(0) != "%%")


def messages(language: str):
    return [message for message in load(catalogue_path(language)) if message.id]


def describe(message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return repr(msgid) if not message.context else f"{message.context!r}: {msgid!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_header_is_kept(language):
    # Without its header a catalogue is marked fuzzy, and `pybabel compile`
    # (without --use-fuzzy) silently skips it: the site falls back to English.
    catalogue = load(catalogue_path(language))
    assert str(catalogue.locale) == language and not catalogue.fuzzy, (
        f"{language}: the catalogue header is missing or fuzzy (was `pybabel update` "
        "run with --omit-header?)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    untranslated = []
    for message in messages(language):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple) and len(forms) < 2:
            untranslated.append(describe(message))
        elif not all(form and form.strip() for form in forms):
            untranslated.append(describe(message))
    assert not untranslated, f"{language}: no translation for " + ", ".join(untranslated)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_fuzzy(language):
    fuzzy = [describe(message) for message in messages(language) if message.fuzzy]
    assert not fuzzy, f"{language}: fuzzy (to review) " + ", ".join(fuzzy)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_english_text(language):
    wrong = []
    for message in messages(language):
        if isinstance(message.id, tuple):
            # A singular form may spell the number out instead of using %(num)d.
            expected = set(placeholders(message.id[0])) | set(placeholders(message.id[1]))
            for form in message.string:
                used = set(placeholders(form))
                if not used <= expected or expected - used - {"%(num)d", "%(num)s"}:
                    wrong.append(f"{describe(message)} -> {form!r}")
        elif placeholders(message.string) != placeholders(message.id):
            wrong.append(f"{describe(message)} -> {message.string!r}")
    assert not wrong, f"{language}: placeholders differ in " + "; ".join(wrong)


def pybabel_command() -> list[str]:
    script = Path(sys.executable).parent / "pybabel"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from babel.messages.frontend import main; main()"]


def test_every_string_of_the_code_is_in_the_french_catalogue(tmp_path):
    template = tmp_path / "messages.pot"
    result = subprocess.run(
        pybabel_command() + ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                             "-o", str(template), "--no-location", "--sort-output", "."],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    extracted = [message for message in load(template) if message.id]
    assert extracted, "the extraction found no message"
    french = load(catalogue_path("fr"))
    missing = [describe(message) for message in extracted
               if french.get(message.id, message.context) is None]
    assert not missing, ("not in translations/fr/LC_MESSAGES/messages.po (run the extraction "
                         "and `pybabel update`, then translate): " + ", ".join(missing))
