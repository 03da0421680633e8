"""vaelab.report.show: a page's table is an HTML table whose plain text is the table's own to_string()."""
import pandas as pd

from vaelab import report


def test_shown_table_is_html_with_the_to_string_text():
    long = "x" * 80  # past pandas' display.max_colwidth (50): the HTML keeps it whole
    df = pd.DataFrame({"model": ["CSVAE", "VAE"], "flip %": [84.9, 12.25], "note": [long, None]}).set_index("model")
    shown = report.Shown(df)
    assert repr(shown) == df.to_string()
    html = shown._repr_html_()
    assert html.startswith('<table class="dataframe">') and html.count("<tr") == 4  # two header rows, two rows
    assert long in html and "84.90" in html and "12.25" in html
    assert "…" not in html and "..." not in html
    bare = report.Shown(df.reset_index(), index=False)
    assert repr(bare) == df.reset_index().to_string(index=False) and "<th>0</th>" not in bare._repr_html_()
    assert report.Shown(df, wrap=True)._repr_html_().startswith('<table class="dataframe wrap">')


def test_show_displays_both_forms(monkeypatch):
    seen = []
    monkeypatch.setattr("IPython.display.display", lambda obj: seen.append(obj))
    df = pd.DataFrame({"a": [1, 2]})
    report.show(df)
    (obj,) = seen
    assert isinstance(obj, report.Shown) and repr(obj) == df.to_string()


def test_count_writes_small_numbers_in_words_and_larger_ones_in_digits():
    assert [report.count(n) for n in (0, 1, 4, 10, 11, 250)] == ["no", "one", "four", "ten", "11", "250"]
