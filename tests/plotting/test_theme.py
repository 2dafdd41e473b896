import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from dephn.plotting.theme import MODEL_COLORS, PALETTE, colors_for, finish, rgba, wrap_title


def test_known_models_keep_their_colour_in_any_company():
    alone = colors_for(["DEPHN"])
    together = colors_for(["MMoE", "ple", "DEPHN", "mystery"])
    assert alone["DEPHN"] == together["DEPHN"] == MODEL_COLORS["dephn"]
    assert together["MMoE"] == MODEL_COLORS["mmoe"]


def test_unknown_names_get_distinct_colours_not_taken_by_known_ones():
    colors = colors_for(["mmoe", "a", "b", "c"])
    assert len(set(colors.values())) == 4
    assert colors["a"] != colors["mmoe"] and colors["a"] in PALETTE


def test_rgba_converts_hex():
    assert rgba("#1f77b4", 0.2) == "rgba(31, 119, 180, 0.2)"
    with pytest.raises(ValueError):
        rgba("blue", 0.5)


def test_long_titles_wrap_to_the_width_and_keep_every_word():
    title = "word " * 60
    lines = wrap_title(title.strip(), 600)
    assert len(lines) > 1
    assert max(len(line) for line in lines) <= (600 - 100) / 8.5
    assert " ".join(lines).split() == title.split()


def test_finish_sets_title_size_and_makes_room_for_subplot_titles():
    plain = finish(go.Figure(), "t", width=500, height=300)
    sub = finish(make_subplots(rows=1, cols=2, subplot_titles=["a", "b"]), "t", width=500, height=300)
    assert plain.layout.title.text == "t" and plain.layout.width == 500
    assert sub.layout.title.pad.b > plain.layout.title.pad.b
    assert sub.layout.margin.t > plain.layout.margin.t
