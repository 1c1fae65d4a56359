"""The Telegram-HTML check of announcement texts, and the conversion for other channels."""

from __future__ import annotations

import pytest

from core.html_check import check_html, to_basic_html, visible_text


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("<b>Halo</b> & nilai < 5 > 3", "<b>Halo</b> &amp; nilai &lt; 5 &gt; 3"),
        ("<strong>a</strong><em>b</em><ins>c</ins><s>d</s><strike>e</strike><del>f</del>",
         "<strong>a</strong><em>b</em><ins>c</ins><s>d</s><strike>e</strike><del>f</del>"),
        ('<a href="https://bpsdm.jatimprov.go.id/?a=1&amp;b=2">situs</a>',
         '<a href="https://bpsdm.jatimprov.go.id/?a=1&amp;b=2">situs</a>'),
        ('<pre><code class="language-python">x = 1</code></pre>',
         '<pre><code class="language-python">x = 1</code></pre>'),
        ("<tg-spoiler>rahasia</tg-spoiler> <blockquote expandable>kutipan</blockquote>",
         "<tg-spoiler>rahasia</tg-spoiler> <blockquote expandable>kutipan</blockquote>"),
        ('<span class="tg-spoiler">x</span> &lt;tag&gt; &#128512;',
         '<span class="tg-spoiler">x</span> &lt;tag&gt; &#128512;'),
    ],
)
def test_valid_texts_pass_with_stray_characters_escaped(text: str, normalised: str) -> None:
    result = check_html(text)
    assert result.ok, result.errors
    assert result.text == normalised


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>tebal", "<b> dibuka tetapi tidak ditutup"),
        ("tebal</b>", "</b> menutup tag yang tidak pernah dibuka"),
        ("<b><i>x</b></i>", "</b> ditulis sebelum </i>"),
        ("<script>alert(1)</script>", "Tag <script> tidak didukung Telegram"),
        ("baris<br>baru", "Tag <br> tidak didukung Telegram"),
        ("<a>tautan</a>", "perlu alamat"),
        ('<a href="javascript:alert(1)">x</a>', "harus diawali https://"),
        ('<b class="x">x</b>', "tidak boleh memiliki atribut class"),
        ("<code><b>x</b></code>", "Di dalam <code> tidak boleh ada tag lain"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "tidak boleh berada di dalam"),
        ("<b>x</b /> <i", "Tag tidak lengkap"),
        ('<span class="merah">x</span>', 'hanya boleh sebagai <span class="tg-spoiler">'),
    ],
)
def test_invalid_texts_say_what_is_wrong(text: str, error: str) -> None:
    result = check_html(text)
    assert not result.ok
    assert any(error in e for e in result.errors), result.errors


def test_an_error_is_reported_once() -> None:
    assert len(check_html("<x>a</x><x>b</x>").errors) == 1


def test_visible_length_counts_what_readers_see() -> None:
    result = check_html('<b>Halo</b> &amp; <a href="https://x.id">situs</a>')
    assert result.visible_length == len("Halo & situs")
    assert visible_text(result.text) == "Halo & situs"


def test_conversion_to_the_core_subset_for_whatsapp() -> None:
    text = ("<strong>Penting</strong> <em>sekali</em> <s>Senin</s> Selasa "
            "<tg-spoiler>kejutan</tg-spoiler> <pre>kode</pre>\n<blockquote>baris 1\nbaris 2"
            "</blockquote>")
    assert to_basic_html(text) == (
        "<b>Penting</b> <i>sekali</i> ~Senin~ Selasa kejutan <code>kode</code>\n"
        "> baris 1\n> baris 2"
    )
