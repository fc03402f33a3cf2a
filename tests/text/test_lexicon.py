"""The pronunciation lexicon: whole words, the case rule, phoneme blocks, and clear errors naming the file."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from narrate.cli.main import cli
from narrate.errors import InputError
from narrate.text.lexicon import Lexicon, LexiconProblem, parse_lexicon
from narrate.text.reader import load_book


def lex(**entries: str) -> Lexicon:
    return parse_lexicon(entries)


def test_whole_words_any_case_for_plain_keys():
    rules = lex(Hermione="her-MY-oh-nee")
    assert rules.apply("Hermione, HERMIONE and hermione's cat") == \
        "her-my-oh-nee, her-my-oh-nee and her-my-oh-nee's cat"
    assert rules.apply("Hermiones Hermionee xHermione") == "Hermiones Hermionee xHermione"


def test_a_capital_after_the_first_letter_means_exactly_this_spelling():
    rules = lex(US="United States", McAlister="mack-AL-ister")
    assert rules.apply("The US and us.") == "The United States and us."
    assert rules.apply("McAlister, MCALISTER, mcalister") == "mack-al-ister, MCALISTER, mcalister"


def test_stress_capitals_in_a_respelling_are_lowered():
    # An engine spells "GAL" letter by letter and takes no stress from case; words of a phrase keep theirs.
    rules = lex(Galleons="GAL-ee-unz", US="United States", Picard="Jean-Luc pi-KAR", Rory="[[r'O@ri]]")
    assert rules.apply("Galleons, US, Picard, Rory") == "gal-ee-unz, United States, Jean-Luc pi-kar, [[r'O@ri]]"


def test_longest_key_wins_and_replacements_are_not_looked_up_again():
    rules = lex(**{"New York": "noo york", "York": "[[j'o@k]]", "noo": "never"})
    assert rules.apply("New York and York.") == "noo york and [[j'o@k]]."


def test_phoneme_blocks_in_the_text_are_left_alone():
    assert lex(ri="ree").apply("[[r'o@ri]] ri") == "[[r'o@ri]] ree"


def test_a_voice_lexicon_goes_over_the_books():
    book = lex(Rory="roar-ee", Jess="jess")
    voice = lex(rory="[[r'o@ri]]")
    merged = voice.over(book)
    assert merged.apply("Rory and Jess") == "[[r'o@ri]] and jess"
    assert Lexicon().over(book) == book and voice.over(Lexicon()) == voice


@pytest.mark.parametrize("table,message", [
    ({"Rory": 3}, "'Rory': expected a respelling"),
    ({"Rory": ""}, "'Rory': expected a respelling"),
    ({"Rory": "[[r'o@ri"}, "one [[ ]] pair"),
    ({"Rory": "[[ ]]"}, "empty [[ ]]"),
    ({"--": "dash"}, "a key must be a word"),
    ({"Rory": "a", "rory": "b"}, "the same word as 'Rory'"),
    ("Rory", "must be a table"),
])
def test_malformed_tables_say_what_is_wrong(table, message):
    with pytest.raises(LexiconProblem, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_lexicon(table)


def test_book_toml_pronunciations_are_read_and_checked(tmp_path):
    (tmp_path / "01-a.txt").write_text("Rory waved.\n", encoding="utf-8")
    (tmp_path / "book.toml").write_text('[pronunciations]\nRory = "[[r\'o@ri]]"\n', encoding="utf-8")
    assert load_book(tmp_path).pronunciations == (("Rory", "[[r'o@ri]]"),)
    (tmp_path / "book.toml").write_text('[pronunciations]\nRory = 7\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"book\.toml: \[pronunciations\]: 'Rory': expected a respelling"):
        load_book(tmp_path)


def test_a_malformed_table_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "01-a.txt").write_text("Rory waved.\n", encoding="utf-8")
    (tmp_path / "book.toml").write_text('pronunciations = "Rory"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["say", "Rory", str(tmp_path), "-o", str(tmp_path / "x.wav")])
    assert res.exit_code == 1
    assert res.output == f"narrate: error: {tmp_path / 'book.toml'}: [pronunciations]: must be a table of " \
                         f"word = \"pronunciation\", found str\n"
