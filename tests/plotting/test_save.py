import json
import threading
import warnings

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from dephn.errors import DephnError
from dephn.plotting import save
from dephn.plotting.save import StaticImageWarning, read_index, save_figure, static_png_available

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_figure(title="A <b>test</b> figure"):
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2], name="line"))
    fig.update_layout(title=title, width=400, height=300)
    return fig


def test_html_loads_plotly_from_the_folder_and_json_round_trips(tmp_path):
    files = save_figure(small_figure(), "fig-1", tmp_path, caption="what <it> shows",
                        source="01_gammas.ipynb", formats=("html",))
    assert set(files) == {"json", "html"}
    page = files["html"].read_text()
    assert 'src="plotly.min.js"' in page and "cdn.plot.ly" not in page
    assert "<title>A test figure</title>" in page                      # tags stripped
    assert "what &lt;it&gt; shows" in page and "01_gammas.ipynb" in page
    js = tmp_path / "plotly.min.js"
    assert js.stat().st_size == len(get_plotlyjs().encode())
    back = go.Figure(json.loads(files["json"].read_text()))
    assert back.data[0].name == "line" and list(back.data[0].y) == [1, 3, 2]
    assert not list(tmp_path.glob(".*.tmp"))                           # no temporary left over


def test_index_is_updated_in_place_without_duplicates(tmp_path):
    save_figure(small_figure(), "first", tmp_path, caption="v1", formats=())
    save_figure(small_figure("Second"), "second", tmp_path, formats=())
    save_figure(small_figure(), "first", tmp_path, title="Renamed", caption="v2",
                source="nb.ipynb", formats=("html",))
    entries = read_index(tmp_path)
    assert [e["name"] for e in entries] == ["first", "second"]        # first keeps its place
    first = entries[0]
    assert first == {"name": "first", "title": "Renamed", "caption": "v2", "source": "nb.ipynb",
                     "files": {"json": "first.json", "html": "first.html"}}
    assert entries[1]["title"] == "Second"
    assert json.loads((tmp_path / "index.json").read_text())["figures"] == entries


def test_parallel_saves_lose_no_index_entry(tmp_path):
    names = [f"f{i}" for i in range(8)]
    threads = [threading.Thread(target=save_figure, args=(small_figure(), n, tmp_path),
                                kwargs={"formats": ()}) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(e["name"] for e in read_index(tmp_path)) == names


@pytest.mark.parametrize("bad", ["", "Fig 1", "../escape", "a/b", "UPPER", "-lead", "x" * 101, None])
def test_bad_names_are_rejected(tmp_path, bad):
    with pytest.raises(DephnError, match="slug"):
        save_figure(small_figure(), bad, tmp_path)
    assert not (tmp_path / "index.json").exists()


def test_unknown_format_and_corrupt_index_are_errors(tmp_path):
    with pytest.raises(DephnError, match="unknown figure format"):
        save_figure(small_figure(), "x", tmp_path, formats=("gif",))
    (tmp_path / "index.json").write_text("not json")
    with pytest.raises(DephnError, match="index"):
        save_figure(small_figure(), "x", tmp_path, formats=())


def test_without_a_browser_png_is_skipped_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(save, "static_png_available", lambda: False)
    with pytest.warns(StaticImageWarning, match="no Chromium"):
        files = save_figure(small_figure(), "nobrowser", tmp_path)
    assert set(files) == {"json", "html"} and not (tmp_path / "nobrowser.png").exists()
    assert read_index(tmp_path)[0]["files"] == {"json": "nobrowser.json", "html": "nobrowser.html"}


def test_an_export_failure_warns_instead_of_losing_the_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(save, "static_png_available", lambda: True)
    monkeypatch.setattr(save, "_start_kaleido", lambda: None)

    def broken(*args, **kwargs):
        raise RuntimeError("browser crashed")
    monkeypatch.setattr(go.Figure, "to_image", broken)
    with pytest.warns(StaticImageWarning, match="browser crashed"):
        files = save_figure(small_figure(), "broken", tmp_path)
    assert "png" not in files and files["html"].exists()


def test_png_is_written_through_kaleido(tmp_path):
    if not static_png_available():
        pytest.skip("no Chromium-based browser for kaleido on this machine "
                    "(apt-get install chromium); the fallback is tested above")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaticImageWarning)
        files = save_figure(small_figure(), "static", tmp_path, formats=("png", "svg"))
    assert files["png"].read_bytes()[:8] == PNG_MAGIC
    assert b"<svg" in files["svg"].read_bytes()[:500]
    assert read_index(tmp_path)[0]["files"]["png"] == "static.png"


def test_a_browser_path_that_does_not_exist_means_no_static_images(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    static_png_available.cache_clear()
    try:
        assert static_png_available() is False
    finally:
        static_png_available.cache_clear()
