"""The six council sessions of the demo year: who was there, what was on the agenda,
how each vote went, and what followed each grant (payments, releases, bilans)."""

from typing import NamedTuple


class Item(NamedTuple):
    dossier: str
    against: int = 0
    abstain: int = 0
    mode: str = "show_of_hands"
    amount: int | None = None  # the amount put to the vote, when less than requested
    defer: bool = False
    interest: tuple = ()  # (seat of the member who declares it, its nature)
    summary: str = ""
    question: tuple = ()  # (question of a councillor, the carrier's answer)
    paid: float | None = None  # share of the grant paid as a first payment
    spent: float = 1.0  # share of the grant the bilan justifies
    bilan: str = ""  # "", "waiting" (for the instructor) or "accepted"
    released: tuple = ()  # (amount, reason) released before the bilan


class Sitting(NamedTuple):
    key: str
    quartier: str
    day: int
    place: str
    items: tuple
    absent: tuple = ()  # seats of the members who did not come
    proxies: tuple = ()  # (seat of the absent giver, seat of the holder)


SITTINGS = [
    Sitting(
        "bellevue-mars",
        "Bellevue",
        71,
        "Centre social de Bellevue, salle polyvalente",
        (
            Item(
                "jardin-tours",
                abstain=1,
                paid=0.7,
                spent=0.95,
                bilan="accepted",
                summary="Le conseil salue un projet qui réunit déjà une trentaine de familles ; "
                "le bailleur prête l'arrivée d'eau.",
                question=(
                    "Qui arrosera les bacs pendant les vacances d'été ?",
                    "Un planning d'arrosage est affiché au centre social : quinze familles "
                    "se sont inscrites.",
                ),
            ),
            Item(
                "sortie-mer",
                against=3,
                abstain=1,
                summary="Une sortie d'une journée profite à peu d'habitants ; le conseil "
                "oriente le collectif vers le dispositif « Vacances familles » du CCAS.",
            ),
            Item(
                "bancs-palettes",
                defer=True,
                summary="Ajourné dans l'attente de l'accord du bailleur sur l'emplacement "
                "des bancs.",
            ),
            Item("ateliers-numeriques", paid=1.0, bilan="accepted"),
        ),
    ),
    Sitting(
        "centre-ville-avril",
        "Centre-Ville",
        99,
        "Hôtel de ville, salle du conseil",
        (
            Item("lectures-jardin", mode="roll_call", paid=0.6, bilan="accepted"),
            Item("ressourcerie", paid=0.5, spent=0.85, bilan="accepted"),
            Item(
                "illuminations",
                against=4,
                summary="Les illuminations relèvent des commerçants et de la ville ; le "
                "conseil ne finance pas d'équipement de décoration.",
            ),
            Item("repair-cafe", abstain=1, paid=1.0),
        ),
        absent=(4,),
        proxies=((4, 2),),
    ),
    Sitting(
        "la-gare-mai",
        "La Gare",
        141,
        "Maison des associations, salle Pierre-Sémard",
        (
            Item("jardin-friche", paid=0.7, bilan="accepted"),
            Item("memoire-cheminots", paid=1.0, bilan="accepted"),
            Item(
                "rampe-skate",
                against=3,
                mode="secret",
                summary="Vote à bulletin secret à la demande de deux conseillers. "
                "L'assurance d'une rampe démontable sur le parvis n'est pas résolue.",
            ),
            Item(
                "bourse-velos",
                amount=800,
                paid=0.7,
                spent=0.9,
                bilan="accepted",
                summary="Le conseil retient 800 € : les barnums seront prêtés par la ville.",
            ),
        ),
        absent=(3,),
    ),
    Sitting(
        "bellevue-juin",
        "Bellevue",
        168,
        "Centre social de Bellevue, salle polyvalente",
        (
            Item(
                "bancs-palettes",
                interest=(1, "Adhérente de la Régie de quartier, qui porte le projet."),
                paid=0.7,
                spent=0.9,
                bilan="accepted",
                summary="Le bailleur a donné son accord. La conseillère adhérente de la Régie "
                "s'est déportée et n'a pas pris part au vote.",
            ),
            Item(
                "atelier-velo",
                amount=1500,
                paid=0.5,
                summary="Le conseil retient 1 500 € : le club de cyclisme prête un animateur "
                "une semaine sur deux.",
            ),
            Item(
                "fresque-gymnase",
                against=1,
                mode="secret",
                paid=1.0,
                summary="Vote à bulletin secret à la demande d'un conseiller.",
            ),
        ),
    ),
    Sitting(
        "le-port-septembre",
        "Le Port",
        252,
        "Capitainerie, salle des mariniers",
        (
            Item("bal-guinguette", paid=0.7, bilan="waiting"),
            Item(
                "aviron",
                paid=0.5,
                released=(200, "Le collège prend en charge le transport d'une des deux classes."),
            ),
            Item("nettoyons-berges", mode="roll_call", paid=1.0, bilan="accepted"),
            Item(
                "kayak-nuit",
                against=3,
                abstain=1,
                summary="Le conseil ne retient pas une sortie de nuit sur le fleuve pour des "
                "mineurs, pour des raisons de sécurité.",
            ),
        ),
    ),
    Sitting(
        "montplaisir-octobre",
        "Montplaisir",
        287,
        "Tiers-lieu de Montplaisir",
        (
            Item("paniers-solidaires", paid=0.7),
            Item(
                "couture",
                amount=1500,
                abstain=1,
                summary="Le conseil retient 1 500 € : une machine sera prêtée par la ressourcerie.",
            ),
            Item("futsal"),
        ),
        absent=(2,),
        proxies=((2, 1),),
    ),
]
