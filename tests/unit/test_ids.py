"""Ticket ids use Crockford's base32: what kefu issues is what it accepts."""

import pytest

from kefu.ids import is_ticket_id, new_ticket_id


def test_every_issued_ticket_id_is_accepted():
    assert all(is_ticket_id(new_ticket_id()) for _ in range(2000))


@pytest.mark.parametrize("letter", ["I", "L", "O", "U"])
def test_a_ticket_id_with_a_letter_crockford_leaves_out_is_refused(letter):
    assert is_ticket_id("TK-7F3K9Q2M")
    assert not is_ticket_id(f"TK-7F3K9Q2{letter}")


@pytest.mark.parametrize("text", ["TK-7f3k9q2m", "TK-7F3K9Q2", "TK-7F3K9Q2MM", "XX-7F3K9Q2M", " TK-7F3K9Q2M"])
def test_malformed_ticket_ids_are_refused(text):
    assert not is_ticket_id(text)


def test_ticket_ids_draw_every_letter_of_the_alphabet_alike():
    # 16,000 letters: each of the 32 is expected 500 times; a letter never drawn, or drawn twice as often as the
    # others, would be a biased draw (bounds 6.8 standard deviations out: a uniform draw passes but for ~1e-9)
    letters = "".join(new_ticket_id()[3:] for _ in range(2000))
    counts = {letter: letters.count(letter) for letter in "0123456789ABCDEFGHJKMNPQRSTVWXYZ"}
    assert sum(counts.values()) == len(letters)
    assert min(counts.values()) > 350 and max(counts.values()) < 650
