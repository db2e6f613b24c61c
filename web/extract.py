"""Article text from a web page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Shorter than this, the "article" is a leftover caption or button, not something to summarise.
MIN_ARTICLE_CHARS = 100
# Cookie walls, consent dialogs, paywall stubs and error pages are short; a page longer than this
# is an article even when it quotes their wording.
MAX_STUB_CHARS = 1500

# What such pages say to the reader, in the languages of the bot's users: buttons and requests
# that news prose does not use. Two different phrases make a page a stub (one can be quoted).
_STUB_PHRASES = {
    "a cookie or consent page": (
        r"accept all", r"reject all", r"manage (?:options|preferences|cookies)", r"enable cookies",
        r"(?:agree|consent) to (?:our|the) use of cookies", r"by continuing to (?:browse|use)",
        r"we value your privacy",
        r"our \d+ partners", r"and our partners", r"your (?:cookie )?(?:choices|consent)",
        r"alle akzeptieren", r"alle ablehnen", r"(?:cookie|datenschutz)-?einstellungen",
        r"ihre (?:zustimmung|einwilligung)", r"unsere partner",
        r"tout accepter", r"accepter et fermer", r"continuer sans accepter", r"param[ée]trer les cookies",
        r"votre consentement",
        r"aceptar (?:todo|todas)", r"rechazar todo", r"configurar cookies", r"pol[ií]tica de cookies",
        r"accetta tutt[oi]", r"rifiuta tutt[oi]", r"gestisci le preferenze",
        r"akceptuj[eę]", r"ustawienia zaawansowane", r"wyra[żz]asz zgod[ęe]",
        r"kabul et\b", r"[çc]erez politikas", r"[çc]erezler kullan", r"ki[şs]isel verilerin korunmas",
        r"принять все", r"согласи[еяю] на (?:обработку|использование)", r"файлы cookie",
        r"политик[аиу] конфиденциальности",
        r"ملفات تعريف الارتباط", r"سياسة الخصوصية", r"قبول الكل", r"موافقتك",
    ),
    "a paywall": (
        r"for subscribers only", r"subscribe (?:now|to continue|today)", r"already a subscriber",
        r"log in to (?:continue|read)",
        r"cancel (?:at )?any ?time",
        r"exklusiv f[üu]r abonnenten", r"bereits abonnent", r"jederzeit k[üu]ndbar", r"weiterlesen mit",
        r"r[ée]serv[ée] aux abonn[ée]s", r"d[ée]j[àa] abonn[ée]", r"abonnez-vous",
        r"exclusivo para suscriptores", r"suscr[ií]bete", r"ya eres suscriptor", r"inicia sesi[óo]n",
        r"riservato agli abbonati", r"abbonati (?:ora|subito)", r"sei gi[àa] abbonato",
        r"tylko dla prenumerator", r"wykup (?:dost[ęe]p|prenumerat)", r"masz ju[żz] (?:konto|prenumerat)",
        r"abonelere [öo]zel", r"abone ol",
        r"только для подписчиков", r"оформите подписку", r"уже подписаны",
        r"للمشتركين فقط", r"اشترك الآن",
    ),
    "an error page": (
        r"\b(?:error|fehler|erreur|errore|b[łl][ąa]d|hata|ошибка|خطأ)\s*(?:404|403|410|500|503)\b",
        r"page (?:was )?not found", r"couldn.t find (?:that|this|the) page", r"access denied", r"don.t have permission",
        r"enable javascript", r"checking (?:if|whether) the site connection is secure", r"just a moment",
        r"seite (?:wurde )?nicht gefunden", r"page introuvable", r"p[áa]gina no encontrada", r"pagina non trovata",
        r"strony nie znaleziono", r"sayfa bulunamad", r"страница не найдена", r"الصفحة (?:غير موجودة|المطلوبة غير)",
        r"go back to the homepage", r"на главную страницу", r"الصفحة الرئيسية",
    ),
}
_STUB_PATTERNS = {kind: re.compile("|".join(f"(?:{phrase})" for phrase in phrases), re.IGNORECASE)
                  for kind, phrases in _STUB_PHRASES.items()}


@dataclass(frozen=True)
class ExtractedPage:
    title: str | None
    text: str  # main article text, paragraphs separated by "\n"
    canonical_url: str | None


class ExtractError(Exception):
    """No article could be taken from the page; str(exc) is a short reason."""


def extract_article(html: bytes, *, url: str) -> ExtractedPage:
    """The main text of an article page without navigation, ads and footers.

    CPU-bound, on lxml parsers that trafilatura shares module-wide: run it in a ParsePool worker.
    """
    import trafilatura  # only the processes that extract pay for loading it

    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractError("not an HTML page")
    # Read from the tree before trafilatura prunes it.
    canonical_url = _canonical_url(tree, url)
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, favor_precision=True
    )
    lines = (line.strip() for line in (document.text or "").splitlines()) if document else ()
    text = "\n".join(line for line in lines if line)
    if len(text) < MIN_ARTICLE_CHARS:
        raise ExtractError("no article text found on the page")
    if stub := stub_kind(document.title or "", text):
        raise ExtractError(f"the page is {stub}, not an article")
    return ExtractedPage(
        title=document.title or None,
        text=text,
        canonical_url=canonical_url,
    )


def stub_kind(title: str, text: str) -> str | None:
    """What a page that is not an article is ('a cookie or consent page', 'a paywall', 'an error
    page'), from its title and text; None for an article."""
    if len(text) > MAX_STUB_CHARS:
        return None
    page = f"{title}\n{text}"
    for kind, pattern in _STUB_PATTERNS.items():
        if len({match.group().lower() for match in pattern.finditer(page)}) >= 2:
            return kind
    return None


def _canonical_url(tree: HtmlElement, url: str) -> str | None:
    """<link rel="canonical">, else og:url, made absolute; None when the page names neither."""
    canonical = [
        link.get("href", "") for link in tree.iter("link") if "canonical" in link.get("rel", "").lower().split()
    ]
    og_url = tree.xpath("//meta[@property='og:url']/@content")
    for candidate in (*canonical, *og_url):
        try:
            absolute = urljoin(url, candidate.strip())
        except ValueError:  # e.g. a malformed IPv6 host
            continue
        if candidate.strip() and urlsplit(absolute).scheme in ("http", "https"):
            return absolute
    return None
