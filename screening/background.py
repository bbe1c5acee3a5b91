"""How rare a name token is, on one scale for every list: a fixed background model blended with the list's own counts.

A token's weight in a score is its rarity, ``log(1 + N / df)`` over the names it occurs in. Counted in one
list only, that scale depends on the list: in a 50-entry list every token occurs once or twice, so
"Trading" weighs as much as "Volkov", and "Golden Star Trading" would reach the review threshold against
"Golden Crescent Trading"; and a score against a small list could not be set beside one against a large
list. So every index counts its tokens as if they were drawn from a background corpus of
``BACKGROUND_NAMES`` names as well:

    N  = names in the list + BACKGROUND_NAMES
    df = names with the token in the list + background_df(token)

``background_df`` is a fixed table of words that are common in names whatever the list (company words,
the most common given and family names of the naming cultures on restricted-party lists), given as names
per 100 000 carrying them; any other token counts as ``UNSEEN`` such names. A large list's own counts
still tell its common tokens; a small list's tokens take the background's rarity, so they weigh as they
would in a large list and a score means the same against any list.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BACKGROUND_NAMES", "UNSEEN", "background_df", "rarity_weights"]

BACKGROUND_NAMES = 100_000
UNSEEN = 1.0  # names (per BACKGROUND_NAMES) with a token the table does not know

# names per 100 000 with the token, by rough frequency class (list-agnostic knowledge, not fitted to a list)
_CLASSES: dict[float, str] = {
    4000.0: """
        trading general international group holding holdings industries industrial company technology
        technologies services mohammed muhammad mohamed ali ahmed ahmad
    """,
    1500.0: """
        global engineering systems solutions logistics shipping import export electronics equipment
        machinery supplies enterprises worldwide overseas development investment investments energy
        petroleum oil gas chemical chemicals metals steel construction manufacturing products components
        materials commercial commerce tech trade hassan hussein hussain abdullah omar ibrahim khalid
        mahmoud mustafa yousef yusuf abdul abdel wang li zhang liu chen yang huang zhao wu zhou
        ivan sergey sergei aleksandr alexander vladimir dmitriy dmitry andrey nikolay mikhail viktor
        john david michael maria
    """,
    600.0: """
        new star golden sun first east west north south asia europe middle united national royal pacific
        science scientific research institute center centre bank aviation aero marine transport trans
        electric power precision instruments optics textile food pharma medical security defense defence
        agro plant factory works union partners associates consulting network automation instruments
        xu sun ma zhu hu guo he lin gao luo zheng liang xie song tang han feng deng cao peng zeng
        shenzhen beijing shanghai guangzhou hong kong dubai tehran moscow
        saeed said salem nasser jamal karim samir walid rashid hamza faisal tariq majid adel fahad
        sultan hamid amir yasser osama jaber kamal fatima aisha maryam
        igor oleg yuriy pavel anatoliy evgeniy alexey aleksey andrei nikolai anna elena olga natalya
        tatyana irina svetlana ivanov petrov smirnov popov
        james robert peter thomas paul mark george william richard joseph anna smith muller
    """,
}
_BACKGROUND: dict[str, float] = {word: df for df, words in _CLASSES.items() for word in words.split()}


def background_df(token: str) -> float:
    """Names per ``BACKGROUND_NAMES`` that carry ``token`` in the background model."""
    return _BACKGROUND.get(token, UNSEEN)


def rarity_weights(vocabulary: list[str], df: np.ndarray, names: int) -> tuple[np.ndarray, float]:
    """Each token's weight (float32, in vocabulary order) and the weight of a token in no list, for a
    list of ``names`` names in which token i occurs in ``df[i]`` of them."""
    background = np.fromiter((background_df(t) for t in vocabulary), dtype=np.float64, count=len(vocabulary))
    total = names + BACKGROUND_NAMES
    weights = np.log1p(total / (df + background)).astype(np.float32)
    return weights, math.log1p(total / UNSEEN)
