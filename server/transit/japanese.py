"""Japanese text for stop search: width/case folding, katakana→hiragana, kana→romaji (Hepburn)."""

import re
import unicodedata

# Hepburn without macrons (station signs in Japan use it: 大甕 おおみか → Omika).
_DIGRAPHS = {
    "きゃ": "kya", "きゅ": "kyu", "きょ": "kyo",
    "しゃ": "sha", "しゅ": "shu", "しょ": "sho", "しぇ": "she",
    "ちゃ": "cha", "ちゅ": "chu", "ちょ": "cho", "ちぇ": "che",
    "にゃ": "nya", "にゅ": "nyu", "にょ": "nyo",
    "ひゃ": "hya", "ひゅ": "hyu", "ひょ": "hyo",
    "みゃ": "mya", "みゅ": "myu", "みょ": "myo",
    "りゃ": "rya", "りゅ": "ryu", "りょ": "ryo",
    "ぎゃ": "gya", "ぎゅ": "gyu", "ぎょ": "gyo",
    "じゃ": "ja", "じゅ": "ju", "じょ": "jo", "じぇ": "je",
    "ぢゃ": "ja", "ぢゅ": "ju", "ぢょ": "jo",
    "びゃ": "bya", "びゅ": "byu", "びょ": "byo",
    "ぴゃ": "pya", "ぴゅ": "pyu", "ぴょ": "pyo",
    "てぃ": "ti", "でぃ": "di", "とぅ": "tu", "どぅ": "du",
    "ふぁ": "fa", "ふぃ": "fi", "ふぇ": "fe", "ふぉ": "fo",
    "うぃ": "wi", "うぇ": "we", "うぉ": "wo",
    "ゔぁ": "va", "ゔぃ": "vi", "ゔぇ": "ve", "ゔぉ": "vo",
}  # fmt: skip
_KANA = (
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわゐゑを"
    "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽゔぁぃぅぇぉゃゅょゎ"
)
_ROMAJI = (
    "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho "
    "ma mi mu me mo ya yu yo ra ri ru re ro wa i e o ga gi gu ge go za ji zu ze zo da ji zu "
    "de do ba bi bu be bo pa pi pu pe po vu a i u e o ya yu yo wa"
)
_MONOGRAPHS = dict(zip(_KANA, _ROMAJI.split(" "), strict=True))
_KATAKANA_START, _KATAKANA_END = ord("ァ"), ord("ヶ")
_HIRAGANA_OFFSET = ord("ぁ") - ord("ァ")
_SEPARATORS = re.compile(r"[\s\-‐・･.,'’()（）\[\]/]+")


def katakana_to_hiragana(text: str) -> str:
    return "".join(
        chr(ord(ch) + _HIRAGANA_OFFSET) if _KATAKANA_START <= ord(ch) <= _KATAKANA_END else ch
        for ch in text
    )


def fold(text: str) -> str:
    """NFKC (full-width → half-width, half-width kana → full-width), lower case, hiragana."""
    return katakana_to_hiragana(unicodedata.normalize("NFKC", text).lower())


def kana_to_romaji(kana: str, *, collapse_long_vowels: bool = True) -> str:
    """Hepburn romaji of a kana reading; long vowels are collapsed (おおみか → omika)."""
    text = fold(kana)
    out: list[str] = []
    double_next = False
    i = 0
    while i < len(text):
        pair, ch = text[i : i + 2], text[i]
        if pair in _DIGRAPHS:
            syllable, i = _DIGRAPHS[pair], i + 2
        elif ch in _MONOGRAPHS:
            syllable, i = _MONOGRAPHS[ch], i + 1
        elif ch == "っ":
            double_next, i = True, i + 1
            continue
        elif ch == "ん":
            syllable, i = "n", i + 1
        elif ch == "ー":
            # A long-vowel mark repeats the previous vowel: collapsed, it adds nothing.
            i += 1
            if not collapse_long_vowels and out and out[-1][-1:] in "aiueo":
                out.append(out[-1][-1])
            continue
        else:
            syllable, i = ch, i + 1
        if double_next:
            double_next = False
            if syllable.startswith("ch"):
                syllable = "t" + syllable
            elif syllable[:1].isalpha() and syllable[0] not in "aiueon":
                syllable = syllable[0] + syllable
        if collapse_long_vowels and out:
            previous = out[-1][-1:]
            # おお/おう → o, うう → u, ああ → a: the long vowels Hepburn writes with a macron.
            if (previous, syllable) in {("o", "o"), ("o", "u"), ("u", "u"), ("a", "a")}:
                continue
        out.append(syllable)
    return "".join(out)


def compact(text: str) -> str:
    """Folded text without spaces, hyphens and punctuation ("Hitachi-Taga" → "hitachitaga")."""
    return _SEPARATORS.sub("", fold(text))


def search_key(name: str, kana: str | None = None, english: str | None = None) -> str:
    """Everything a person might type to find a stop, folded, in one string for LIKE '%q%'."""
    parts = [fold(name), compact(name)]
    if kana:
        parts += [
            compact(kana),
            kana_to_romaji(compact(kana)),
            kana_to_romaji(compact(kana), collapse_long_vowels=False),
        ]
    if english:
        parts += [fold(english), compact(english)]
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            seen.setdefault(part, None)
    return " | ".join(seen)


def search_terms(query: str) -> list[str]:
    """Folded forms of a query; a stop matches when its search key contains any of them."""
    squeezed = compact(query)
    if not squeezed:
        return []
    terms = [squeezed]
    # Romaji typed with long vowels spelled out (ohmika, oomika, juuou) also finds "omika", "juo".
    if squeezed.isascii():
        collapsed = re.sub(r"(?<=o)[ouh](?![aiueo])|(?<=u)u|(?<=a)a", "", squeezed)
        if collapsed != squeezed:
            terms.append(collapsed)
    return terms
