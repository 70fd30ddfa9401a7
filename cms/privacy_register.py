"""The register of processing (« registre des traitements », RGPD art. 30) and the
privacy page, from one source.

Each processing the code does is described here once: purpose, legal basis, people and
data concerned, recipients, retention and security measures. Retention periods and
security settings are read from where the code takes them (the settings, the retention
modules, the lockout's cookie), at the moment the page is shown, so that neither the
administrators' register (``/cms/registre-des-traitements/``) nor the public page
(``/donnees-personnelles/``) can say something the code does not do."""

import datetime
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import lockout
from accounts import retention as traces
from accounts.invitations import VALIDITY as INVITATION_VALIDITY
from accounts.models import AuditEntry
from accounts.privacy import EXPORT_VALIDITY
from fonds import retention as dossiers
from fonds.maps import map_tiles


@dataclass(frozen=True)
class Processing:
    key: str
    name: str
    purpose: str
    legal_basis: str
    people: str
    data: list
    recipients: list
    retention: list
    security: list


# --- periods, in words -------------------------------------------------------------------


def years(n):
    return ngettext("%(n)d an", "%(n)d ans", n) % {"n": n}


def days(n):
    return ngettext("%(n)d jour", "%(n)d jours", n) % {"n": n}


def hours(n):
    return ngettext("%(n)d heure", "%(n)d heures", n) % {"n": n}


def minutes(n):
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}


def _duration(delta):
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0 and seconds > 86400:
        return days(seconds // 86400)
    if seconds % 3600 == 0:
        return hours(seconds // 3600)
    return minutes(max(1, seconds // 60))


RATE_PERIOD = re.compile(r"^(\d*)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def longest_rate_window():
    """The longest window of the login rate limits (``ACCOUNT_RATE_LIMITS``): how long
    the cache keeps an address counted there."""
    longest = 60
    for rule in settings.ACCOUNT_RATE_LIMITS.values():
        for part in rule.split(","):
            pieces = part.strip().split("/")
            match = RATE_PERIOD.match(pieces[1]) if len(pieces) > 1 else None
            if match:
                count, unit = match.groups()
                longest = max(longest, int(count or 1) * UNIT_SECONDS[unit])
    return datetime.timedelta(seconds=longest)


def periods():
    """Every retention period the code applies, in words, by name."""
    return {
        "drafts": years(dossiers.DRAFT_RETENTION_YEARS),
        "documents": years(dossiers.document_retention_years()),
        "ip": days(traces.IP_RETENTION_DAYS),
        "tasks": days(traces.TASK_RESULT_RETENTION_DAYS),
        "session": _duration(datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)),
        "device": _duration(lockout.DEVICE_MAX_AGE),
        "unlock": _duration(lockout.UNLOCK_MAX_AGE),
        "invitation": _duration(INVITATION_VALIDITY),
        "export": _duration(EXPORT_VALIDITY),
        "rate": _duration(longest_rate_window()),
    }


# --- the processings ---------------------------------------------------------------------


def _password_security():
    algorithm = get_hasher("default").algorithm
    mfa = (
        _(
            "double authentification (TOTP) obligatoire pour le personnel et les membres des "
            "conseils"
        )
        if settings.MFA_ENFORCED
        else _("double authentification (TOTP) proposée à chacun, non obligatoire")
    )
    return [
        _("mots de passe conservés hachés (%(algorithm)s), jamais en clair")
        % {"algorithm": algorithm},
        mfa,
        _(
            "tentatives de connexion limitées par adresse et par compte ; un compte visé par "
            "des tentatives ne se bloque pas pour son titulaire, qui reçoit un lien de "
            "déblocage valable %(unlock)s"
        )
        % {"unlock": periods()["unlock"]},
        _("adresse électronique vérifiée avant la première connexion"),
    ]


def _accounts(p, request):
    return Processing(
        key="comptes",
        name=_("Comptes et connexion"),
        purpose=_(
            "Permettre à chacun de se connecter pour déposer et suivre ses initiatives, "
            "soutenir celles des autres, siéger en conseil ou instruire ; protéger ces comptes."
        ),
        legal_basis=_(
            "Mission d'intérêt public (RGPD, art. 6.1.e) : la participation des habitants à "
            "la vie des quartiers (code général des collectivités territoriales, art. "
            "L. 2143-1)."
        ),
        people=_(
            "Habitant·es inscrit·es, membres des conseils de quartier, agents et "
            "administrateurs de la commune."
        ),
        data=[
            _("adresse électronique, nom affiché (facultatif), quartier de résidence, langue"),
            _("mot de passe (haché), secret de double authentification et codes de secours"),
            _("dates de création du compte et de dernière connexion"),
            _("rôles du personnel et leurs dates, invitations reçues"),
        ],
        recipients=[
            _("la personne elle-même (« Mon profil »)"),
            _("les administrateurs de la commune"),
        ],
        retention=[
            _(
                "Tant que le compte existe. À la demande d'effacement, le compte est "
                "pseudonymisé : plus d'adresse, de nom ni de mot de passe."
            ),
            _("Session de connexion : expire au bout de %(session)s, puis est supprimée.") % p,
            _(
                "Cookie « navigateur reconnu » (le navigateur où le compte s'est déjà "
                "connecté) : %(device)s."
            )
            % p,
            _("Lien d'invitation : valable %(invitation)s.") % p,
        ],
        security=_password_security(),
    )


def _initiatives(p, request):
    return Processing(
        key="initiatives",
        name=_("Dépôt, instruction et suivi des initiatives"),
        purpose=_(
            "Recevoir les demandes de subvention des habitants et des associations, les "
            "instruire, les soumettre au conseil de quartier, verser la subvention et "
            "recevoir le bilan de l'action."
        ),
        legal_basis=_(
            "Mission d'intérêt public (RGPD, art. 6.1.e) ; obligation légale (art. 6.1.c) "
            "pour les pièces justificatives d'une subvention versée, que la comptabilité "
            "publique conserve."
        ),
        people=_("Porteurs de projet : habitant·es, collectifs, représentant·es d'associations."),
        data=[
            _("nom du porteur, numéro RNA et SIRET d'une association"),
            _("titre, résumé, description, lieu, dates et participants attendus du projet"),
            _("budget : dépenses, cofinancements, montant demandé"),
            _("pièces jointes (devis, statuts…) et photo, sans leurs métadonnées"),
            _("bilan : récit, participants, dépenses réelles, justificatifs et photos"),
            _("soutiens des habitant·es (le compte et le dossier soutenu)"),
        ],
        recipients=[
            _("les agents instructeurs du quartier"),
            _("les membres du conseil du quartier, pour les dossiers inscrits à une séance"),
            _(
                "le public : titre, résumé, montants, décision et nombre de soutiens ; le nom "
                "d'une association, jamais celui d'une personne privée (« des habitant·es du "
                "quartier »)"
            ),
        ],
        retention=[
            _(
                "Brouillon jamais déposé : supprimé, avec ses fichiers, %(drafts)s après sa "
                "dernière modification."
            )
            % p,
            _(
                "Dossier clos (retiré, irrecevable, refusé, ou clos après son bilan) : ses "
                "fichiers (pièces jointes, photo, justificatifs et photos du bilan) sont "
                "supprimés %(documents)s après sa clôture."
            )
            % p,
            _(
                "Le dossier lui-même, sa décision et ses écritures au grand livre sont des "
                "archives publiques et restent."
            ),
        ],
        security=[
            _(
                "fichiers conservés hors de l'espace public du site, servis seulement à qui "
                "peut les lire"
            ),
            _(
                "PDF vérifiés et débarrassés de leur contenu actif (JavaScript, lancement de "
                "programmes) ; photos ré-encodées sans leurs métadonnées"
            ),
            _("chaque action inscrite au journal d'audit"),
        ],
    )


def _councils(p, request):
    return Processing(
        key="conseils",
        name=_("Conseils de quartier : mandats, séances, votes et décisions"),
        purpose=_(
            "Composer les conseils, convoquer et tenir leurs séances, recueillir les "
            "déclarations d'intérêt, les votes et les décisions, publier les décisions et "
            "les procès-verbaux."
        ),
        legal_basis=_(
            "Mission d'intérêt public (RGPD, art. 6.1.e) : le fonctionnement des conseils de "
            "quartier (code général des collectivités territoriales, art. L. 2143-1)."
        ),
        people=_("Membres des conseils de quartier (maire de quartier, conseiller·es)."),
        data=[
            _("nom affiché, adresse électronique, rôle au conseil et dates du mandat"),
            _("présences, pouvoirs, déclarations d'intérêt"),
            _(
                "votes : nominatifs à main levée ou par appel nominal ; au scrutin secret, "
                "aucun lien entre un membre et son bulletin"
            ),
        ],
        recipients=[
            _("les membres du conseil"),
            _(
                "le public : les décisions et les procès-verbaux (présences, déclarations "
                "d'intérêt, votes nominatifs)"
            ),
        ],
        retention=[_("Décisions et procès-verbaux : archives publiques, sans limite de durée.")],
        security=[
            _("double authentification des membres des conseils"),
            _("décisions publiées impossibles à modifier ou à supprimer dans la base"),
        ],
    )


def _ledger(p, request):
    return Processing(
        key="grand-livre",
        name=_("Grand livre et journal d'audit"),
        purpose=_(
            "Rendre compte de chaque euro accordé, versé ou libéré, et de chaque action "
            "faite sur la plateforme (qui, quoi, quand)."
        ),
        legal_basis=_(
            "Obligation légale (RGPD, art. 6.1.c) : la tenue des comptes publics ; mission "
            "d'intérêt public (art. 6.1.e) : la transparence de l'usage des fonds."
        ),
        people=_("Toute personne qui agit sur la plateforme ; porteurs de projet subventionnés."),
        data=[
            _(
                "au grand livre : montants, références des décisions et des paiements, "
                "identifiant du compte qui a enregistré l'écriture — pas de nom"
            ),
            _(
                "au journal d'audit et dans l'historique des dossiers : l'identifiant du "
                "compte qui a agi, l'action, sa date et ses paramètres"
            ),
        ],
        recipients=[
            _("le public pour le grand livre"),
            _("les administrateurs pour le journal d'audit"),
        ],
        retention=[
            _(
                "Sans limite de durée : on n'y ajoute que des lignes, la base refuse de les "
                "modifier ou de les supprimer. L'effacement d'un compte les laisse intactes ; "
                "elles ne désignent plus qu'un compte pseudonymisé."
            )
        ],
        security=[
            _(
                "tables en ajout seul, gardées par PostgreSQL (l'application n'a pas le droit "
                "de les modifier)"
            ),
            _("écritures chaînées par empreintes SHA-256, vérifiables par « ledger verify »"),
        ],
    )


def _messages_and_traces(p, request):
    return Processing(
        key="traces",
        name=_("Courriels, tâches de fond et traces techniques"),
        purpose=_(
            "Prévenir chacun de ce qui le concerne, préparer les exports, protéger le site "
            "contre les abus."
        ),
        legal_basis=_("Mission d'intérêt public (RGPD, art. 6.1.e) et sécurité (art. 32)."),
        people=_("Toute personne qui a un compte ou visite le site."),
        data=[
            _(
                "courriels : adresse du destinataire et contenu, remis au prestataire d'envoi "
                "sans copie gardée par la plateforme"
            ),
            _("tâches de fond (envoi des courriels, exports) : leurs paramètres"),
            _(
                "notifications : ce que le site vous a signalé (son type, le titre du dossier, "
                "un lien), listées dans « Mon espace », et les courriels que vous avez "
                "choisi de ne plus recevoir"
            ),
            _(
                "adresse IP, pour limiter les tentatives de connexion, et dans les journaux "
                "du serveur"
            ),
        ],
        recipients=[
            _("le prestataire d'envoi de courriels de la commune"),
            _("l'hébergeur du site"),
            *_tile_server(request),
        ],
        retention=[
            _("Tâches de fond : supprimées %(tasks)s après leur exécution.") % p,
            _("Notifications et choix de courriels : effacés avec le compte."),
            _(
                "Adresses IP : le temps des limites de connexion (%(rate)s au plus) ; toute "
                "adresse enregistrée en base est effacée après %(ip)s ; les journaux du "
                "serveur sont gardés %(ip)s au plus."
            )
            % p,
        ],
        security=[_("adresses IP des limites de connexion gardées en mémoire cache seulement")],
    )


def _tile_server(request):
    """The tile server of the maps, if one is configured: the visitor's browser asks it
    for the tiles, so it receives the visitor's IP address."""
    url = map_tiles(request)[0] if request is not None else settings.MAP_TILE_URL
    if not url:
        return []
    host = urlsplit(url.replace("{s}", "a")).hostname or url
    return [
        _(
            "le serveur de fonds de carte (%(host)s), qui reçoit l'adresse IP des visiteurs "
            "des pages avec une carte"
        )
        % {"host": host}
    ]


def _my_data(p, request):
    return Processing(
        key="mes-donnees",
        name=_("« Mes données » et effacement"),
        purpose=_(
            "Donner à chacun une copie de tout ce que la plateforme conserve sur lui, et "
            "effacer son compte à sa demande."
        ),
        legal_basis=_("Obligation légale (RGPD, art. 6.1.c ; droits des articles 15, 17 et 20)."),
        people=_("Toute personne qui a un compte."),
        data=[_("l'archive (JSON et fichiers) des données de la personne")],
        recipients=[_("la personne elle-même, seule à pouvoir la télécharger")],
        retention=[_("L'archive est téléchargeable %(export)s, puis supprimée.") % p],
        security=[_("lien réservé au titulaire du compte connecté")],
    )


PROCESSINGS = (_accounts, _initiatives, _councils, _ledger, _messages_and_traces, _my_data)


def processings(request=None):
    """Every processing the code does, its texts in the active language (the request
    tells which tile server the site's maps use)."""
    p = periods()
    return [build(p, request) for build in PROCESSINGS]


def encrypted():
    """True when the deployment sends every visitor to HTTPS (the production settings)."""
    return bool(getattr(settings, "SECURE_SSL_REDIRECT", False))


def general_security():
    """The measures that protect every processing."""
    measures = [
        _(
            "en production, l'application se connecte à PostgreSQL avec un rôle qui ne possède "
            "aucune table et ne peut ni modifier ni vider les tables en ajout seul"
        ),
        _("droits vérifiés à chaque action, selon le rôle et le mandat en vigueur ce jour"),
        _("suppression automatique, chaque nuit, de ce dont la durée de conservation est passée"),
    ]
    if encrypted():
        measures.insert(
            0, _("connexions chiffrées (HTTPS, HSTS) ; politique de sécurité du contenu")
        )
    if settings.MFA_ENFORCED:
        measures.insert(1, _("double authentification du personnel et des élus"))
    return measures


def cookies():
    """(name, purpose, lifetime) of each cookie the site sets: none measures the audience."""
    p = periods()
    browser_session = _("jusqu'à la fermeture du navigateur")
    return [
        (
            settings.SESSION_COOKIE_NAME,
            _("garder la connexion ouverte"),
            p["session"],
        ),
        (
            settings.CSRF_COOKIE_NAME,
            _("protéger les formulaires"),
            _duration(datetime.timedelta(seconds=settings.CSRF_COOKIE_AGE)),
        ),
        (
            settings.LANGUAGE_COOKIE_NAME,
            _("retenir la langue choisie"),
            _duration(datetime.timedelta(seconds=settings.LANGUAGE_COOKIE_AGE))
            if settings.LANGUAGE_COOKIE_AGE
            else browser_session,
        ),
        ("messages", _("afficher le message qui suit une action"), browser_session),
        (
            lockout.DEVICE_COOKIE,
            _("reconnaître un navigateur où le compte s'est déjà connecté"),
            p["device"],
        ),
    ]


def controller(request):
    """Who is responsible for the processing: the commune, from the site's settings."""
    from .models import CommuneSettings

    commune = CommuneSettings.for_request(request)
    return {
        "name": commune.commune_name,
        "address": commune.address,
        "email": commune.contact_email,
    }


def rights_links():
    """Where a person exercises their rights on the site."""
    profile = reverse("accounts_profile")
    return {
        "profile": profile,
        "export": f"{profile}#mes-donnees",
        "erasure": f"{profile}#supprimer",
    }


def last_retention_run():
    """The latest audit row of ``manage.py retention``, or None if it never ran."""
    return AuditEntry.objects.filter(action="fonds.retention.run").order_by("-created_at").first()
