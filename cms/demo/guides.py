"""The guides of the demo's help pages: under « Guides », one page per role — resident,
instructor, council member, maire de quartier, administrator — each a few steps, most
with a screenshot of the page it speaks of. They are ordinary content pages, so that a
commune starts with documentation it edits like any other page.

The screenshots are the PNG files of ``cms/demo/guides/``, taken by the browser tests
(``tests/e2e/test_guides.py``) on the demo commune and committed; each becomes a Wagtail
image once. A missing file leaves its step without a picture, never the demo broken."""

from dataclasses import dataclass
from pathlib import Path

from django.core.files.images import ImageFile
from wagtail.images.models import Image
from wagtail.models import Collection
from wagtail.rich_text import RichText

from cms.models import HomePage, StandardPage
from cms.skeleton import ensure_site

SCREENSHOTS = Path(__file__).with_name("guides")
COLLECTION = "Captures des guides"
INDEX_SLUG = "guides"
RULES_SLUG = "comment-ca-marche"
# French puts a space before « : ; ? ! » and inside « », which must not break a line.
FRENCH_SPACES = [("« ", "«\u00a0"), (" »", "\u00a0»")] + [
    (f" {mark}", f"\u00a0{mark}") for mark in ":;?!"
]


@dataclass(frozen=True)
class Shot:
    """A screenshot: ``cms/demo/guides/<name>.png``, with what it shows in words."""

    name: str
    alt: str
    alt_en: str

    @property
    def path(self):
        return SCREENSHOTS / f"{self.name}.png"


@dataclass(frozen=True)
class Step:
    heading: str
    heading_en: str
    text: str
    text_en: str
    shot: Shot | None = None


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    title_en: str
    intro: str
    intro_en: str
    summary: str
    summary_en: str
    steps: tuple


RESIDENT = Guide(
    slug="guide-habitants",
    title="Guide des habitantes et habitants",
    title_en="Residents' guide",
    intro=(
        "Proposer un projet pour votre quartier, suivre votre dossier jusqu'au versement "
        "et soutenir les projets de vos voisins."
    ),
    intro_en=(
        "Propose a project for your neighbourhood, follow your application until the "
        "payment, and support your neighbours' projects."
    ),
    summary="proposer une initiative, la suivre dans « Mon espace », soutenir un projet",
    summary_en="propose an initiative, follow it in “My space”, support a project",
    steps=(
        Step(
            "Créer votre compte",
            "Create your account",
            "<p>Cliquez sur « Créer un compte » en haut de la page, indiquez votre adresse "
            "électronique et un mot de passe, puis « Créer mon compte ». Ouvrez le lien reçu "
            "par courriel pour confirmer votre adresse. Dans « Mon profil », choisissez votre "
            "« Quartier de résidence ».</p>",
            "<p>Click “Create an account” at the top of the page, give your email address and "
            "a password, then “Create my account”. Open the link you receive by email to "
            "confirm your address. In “My profile”, choose your “Neighbourhood of "
            "residence”.</p>",
        ),
        Step(
            "Proposer une initiative",
            "Propose an initiative",
            "<p>Dans le menu, choisissez « Proposer une initiative ». Le formulaire a cinq "
            "étapes : Porteur, Projet, Budget, Pièces jointes, Vérification et dépôt. Chaque "
            "« Enregistrer et continuer » garde votre brouillon : vous pouvez vous arrêter et "
            "reprendre plus tard depuis « Mon espace ».</p>",
            "<p>In the menu, choose “Propose an initiative”. The form has five steps: "
            "carrier, project, budget, attachments, check and submit. Each “Save and "
            "continue” keeps your draft: you may stop and come back later from “My "
            "space”.</p>",
            Shot(
                "habitant-proposer",
                "Capture d'écran : la première étape du formulaire « Proposer une "
                "initiative », avec le choix du fonds de quartier et du porteur.",
                "Screenshot: the first step of the “Propose an initiative” form, choosing "
                "the neighbourhood fund and the carrier (French interface).",
            ),
        ),
        Step(
            "Déposer votre dossier",
            "Submit your application",
            "<p>À la dernière étape, relisez le récapitulatif et le budget. S'il manque "
            "quelque chose (une part de cofinancement trop faible, un montant trop élevé), le "
            "site vous le dit. Sinon, cliquez sur « Déposer mon initiative » : l'agent de la "
            "ville qui instruit les dossiers de votre quartier le reçoit.</p>",
            "<p>At the last step, read the summary and the budget again. If something is "
            "missing (too little co-funding, too high an amount), the site tells you. "
            "Otherwise click “Submit my initiative”: the town officer who reviews your "
            "neighbourhood's applications receives it.</p>",
        ),
        Step(
            "Suivre votre dossier dans « Mon espace »",
            "Follow your application in “My space”",
            "<p>« Mon espace » montre chacune de vos initiatives avec son statut (Brouillon, "
            "Déposée, Recevable, Inscrite à l'ordre du jour, Subvention accordée…) et chaque "
            "étape datée, avec le message de l'agent. « Mes notifications » rassemble les "
            "messages qui vous ont été envoyés.</p>",
            "<p>“My space” shows each of your initiatives with its status (draft, "
            "submitted, admissible, on the agenda, grant awarded…) and every step with its "
            "date and the officer's message. “My notifications” gathers the messages sent "
            "to you.</p>",
            Shot(
                "habitant-mon-espace",
                "Capture d'écran : « Mon espace », la liste des initiatives de la personne "
                "avec le statut de chacune et ses étapes datées.",
                "Screenshot: “My space”, the person's initiatives, each with its status and "
                "dated steps (French interface).",
            ),
        ),
        Step(
            "Compléter un dossier ou répondre au conseil",
            "Complete an application or answer the council",
            "<p>Si l'agent vous demande des compléments, votre initiative passe « À "
            "compléter » et son message s'affiche. Cliquez sur « Compléter le dossier », "
            "corrigez, puis déposez-le à nouveau. Si le conseil vous pose une question, "
            "répondez depuis « Mon espace » avec « Répondre au conseil ».</p>",
            "<p>If the officer asks for more information, your initiative shows “More "
            "information needed” with the officer's message. Click “Complete the "
            "application”, correct it, then submit it again. If the council asks you a "
            "question, answer it from “My space” with “Answer the council”.</p>",
            Shot(
                "habitant-completer",
                "Capture d'écran : une initiative à compléter dans « Mon espace », avec la "
                "demande de l'agent et le bouton « Compléter le dossier ».",
                "Screenshot: an initiative that needs more information in “My space”, with "
                "the officer's request and the button to complete it (French interface).",
            ),
        ),
        Step(
            "Soutenir l'initiative d'un voisin",
            "Support a neighbour's initiative",
            "<p>Dans « Initiatives », choisissez votre quartier puis « Filtrer », et ouvrez "
            "un projet. Tant que le conseil n'a pas décidé, le bouton « Soutenir cette "
            "initiative », en bas de la page, ajoute votre soutien, une fois par projet. Seuls "
            "les habitants du quartier soutiennent ses initiatives ; le nombre de soutiens "
            "est public.</p>",
            "<p>In “Initiatives”, choose your neighbourhood, then “Filter”, and open a "
            "project. Until the council decides, the “Support this initiative” button, at the "
            "bottom of the page, adds your support, once per project. Only the "
            "neighbourhood's residents support its initiatives; the number of supports is "
            "public.</p>",
            Shot(
                "habitant-soutenir",
                "Capture d'écran : la page d'une initiative du quartier, juste soutenue : le "
                "message « Merci : votre soutien est enregistré. » au-dessus du projet.",
                "Screenshot: a neighbourhood initiative's page just supported, the thank-you "
                "message above the project (French interface).",
            ),
        ),
        Step(
            "Le versement et le bilan",
            "Payment and final report",
            "<p>Dès le dépôt, indiquez dans « Mon espace » le « Compte de versement » où la "
            "ville versera la subvention si le conseil l'accorde. Après l'action, « Bilan de "
            "l'action » vous demande ce qui s'est passé, le nombre de participants, les "
            "dépenses réelles et les justificatifs ; terminez par « Déposer le bilan ».</p>",
            "<p>From the submission on, give in “My space” the account the town will pay "
            "the grant into if the council awards it (“Payment account”). After the "
            "action, “Final report” asks what happened, how many took part, the actual "
            "expenses and the receipts; finish with “Submit the final report”.</p>",
            Shot(
                "habitant-bilan",
                "Capture d'écran : le formulaire « Bilan de l'action » d'une initiative financée.",
                "Screenshot: the final report form of a funded initiative (French interface).",
            ),
        ),
    ),
)

INSTRUCTOR = Guide(
    slug="guide-agents-instructeurs",
    title="Guide de l'agent instructeur",
    title_en="Instructors' guide",
    intro=(
        "Le bureau des dossiers : instruire les initiatives déposées, les inscrire à "
        "l'ordre du jour d'un conseil, enregistrer les paiements et examiner les bilans."
    ),
    intro_en=(
        "The applications desk: review the initiatives submitted, put them on a council's "
        "agenda, record the payments and review the final reports."
    ),
    summary=(
        "le bureau des dossiers, instruire, inscrire à l'ordre du jour, enregistrer un "
        "paiement, examiner un bilan"
    ),
    summary_en=(
        "the applications desk, review, put on the agenda, record a payment, review a final report"
    ),
    steps=(
        Step(
            "Le bureau des dossiers",
            "The applications desk",
            "<p>Connectez-vous, puis cliquez sur « Administration » en haut de la page. Le "
            "menu « Dossiers à instruire » liste les dossiers des quartiers dont vous avez la "
            "charge : choisissez un « Quartier » et un « Statut », puis « Filtrer ».</p>",
            "<p>Sign in, then click “Administration” at the top of the page. The "
            "“Applications to review” menu lists the applications of the neighbourhoods you "
            "look after: choose a neighbourhood and a status, then “Filter”.</p>",
            Shot(
                "instructeur-dossiers",
                "Capture d'écran : « Dossiers à instruire », filtrés sur un quartier et le "
                "statut « Déposée ».",
                "Screenshot: the applications to review, filtered on one neighbourhood and "
                "the “submitted” status (French interface).",
            ),
        ),
        Step(
            "Instruire un dossier",
            "Review an application",
            "<p>Ouvrez un dossier : porteur, projet, budget, pièces jointes et historique. "
            "« Règles du fonds » dit si le dossier respecte le plafond et la part de "
            "cofinancement. Dans « Instruire le dossier », écrivez le motif puis choisissez "
            "« Déclarer recevable », « Demander des compléments » ou « Déclarer "
            "irrecevable ». L'auteur reçoit votre motif par courriel. Vous n'instruisez "
            "jamais un dossier que vous avez déposé.</p>",
            "<p>Open an application: carrier, project, budget, attachments and history. "
            "“Fund rules” says whether it keeps within the cap and the co-funding share. In "
            "“Review the application”, write the reason, then choose “Declare admissible”, "
            "“Request more information” or “Declare inadmissible”. The author receives your "
            "reason by email. You never review an application you submitted.</p>",
            Shot(
                "instructeur-instruire",
                "Capture d'écran : la rubrique « Instruire le dossier », avec un motif à "
                "écrire pour chacune des trois décisions.",
                "Screenshot: the review section of an application, with a reason to write "
                "for each of the three outcomes (French interface).",
            ),
        ),
        Step(
            "Inscrire un dossier à l'ordre du jour",
            "Put an application on the agenda",
            "<p>Dans le menu « Séances des conseils », ouvrez une séance ou « Planifier une "
            "séance ». Sous « Dossiers recevables en attente d'un conseil », cliquez sur "
            "« Inscrire à l'ordre du jour ». Le tableau « L'argent des fonds » montre ce qui "
            "restera dans le fonds si tout est accordé.</p>",
            "<p>In the “Council sessions” menu, open a session or “Plan a session”. Under "
            "the admissible applications waiting for a council, click “Put on the agenda”. "
            "The table of the funds' money shows what will be left in the fund if "
            "everything is granted.</p>",
            Shot(
                "instructeur-ordre-du-jour",
                "Capture d'écran : la préparation d'une séance, avec un dossier recevable et "
                "le bouton « Inscrire à l'ordre du jour ».",
                "Screenshot: preparing a session, with an admissible application and the "
                "button to put it on the agenda (French interface).",
            ),
        ),
        Step(
            "Enregistrer un paiement",
            "Record a payment",
            "<p>Une fois la décision publiée, le dossier montre « L'argent du dossier ». "
            "Cliquez sur « Enregistrer un paiement », indiquez le montant versé, la référence "
            "(mandat, virement) et la date, puis « Vérifier avant d'inscrire » et « Confirmer "
            "et inscrire au grand livre ». Une écriture ne se modifie plus : elle se "
            "contre-passe. Le site peut vous redemander votre mot de passe avant.</p>",
            "<p>Once the decision is published, the application shows its money. Click "
            "“Record a payment”, give the amount paid, the reference (payment order, "
            "transfer) and the date, then “Check before recording” and “Confirm and record "
            "in the ledger”. An entry is never changed afterwards, only reversed. The site "
            "may ask for your password again first.</p>",
            Shot(
                "instructeur-paiement",
                "Capture d'écran : le formulaire « Enregistrer un paiement », avec la "
                "décision, le reste engagé, le montant, la référence et la date.",
                "Screenshot: the payment form, with the decision, the amount still "
                "committed, the amount, the reference and the date (French interface).",
            ),
        ),
        Step(
            "Examiner un bilan",
            "Review a final report",
            "<p>Quand le porteur dépose son bilan, ouvrez le dossier puis « Examiner le "
            "bilan » : la « Comparaison » met le budget prévu en regard des dépenses réelles. "
            "Choisissez « Accepter le bilan… » puis « Confirmer : accepter et clôturer », "
            "« Demander des compléments au porteur » ou « Refuser le bilan ». Accepter rend "
            "au fonds ce qui reste engagé et clôture le dossier.</p>",
            "<p>When the carrier submits the final report, open the application, then "
            "“Review the bilan”: the comparison sets the planned budget against the actual "
            "expenses. Choose “Accept the bilan…” then “Confirm: accept and close”, “Ask the "
            "carrier for additions” or “Refuse the bilan”. Accepting gives back to the fund "
            "what is still committed and closes the application.</p>",
            Shot(
                "instructeur-bilan",
                "Capture d'écran : l'examen d'un bilan, avec les boutons pour l'accepter, "
                "demander des compléments ou le refuser.",
                "Screenshot: reviewing a final report, with the buttons to accept it, ask "
                "for additions or refuse it (French interface).",
            ),
        ),
    ),
)

COUNCIL_MEMBER = Guide(
    slug="guide-membres-du-conseil",
    title="Guide des membres du conseil",
    title_en="Council members' guide",
    intro=(
        "Siéger au conseil de quartier : trouver les séances et leur ordre du jour, "
        "étudier les dossiers, vous déporter quand vous êtes concerné, voter."
    ),
    intro_en=(
        "Sitting on the neighbourhood council: find the sessions and their agenda, study "
        "the applications, stand aside when you are concerned, vote."
    ),
    summary="l'espace du conseil, l'ordre du jour, voter, se déporter",
    summary_en="the council space, the agenda, voting, standing aside",
    steps=(
        Step(
            "L'espace du conseil",
            "The council space",
            "<p>Connectez-vous : le menu affiche « Espace du conseil ». Vous y trouvez vos "
            "conseils et leurs séances, à venir et passées. La convocation vous arrive aussi "
            "par courriel, avec l'ordre du jour et une invitation pour votre agenda.</p>",
            "<p>Sign in: the menu shows “Council space”. There you find your councils and "
            "their sessions, upcoming and past. The notice of meeting also comes by email, "
            "with the agenda and an invitation for your calendar.</p>",
            Shot(
                "conseiller-espace",
                "Capture d'écran : l'« Espace du conseil », avec les séances du conseil de "
                "quartier.",
                "Screenshot: the council space, with the neighbourhood council's sessions "
                "(French interface).",
            ),
        ),
        Step(
            "L'ordre du jour",
            "The agenda",
            "<p>Ouvrez une séance : l'« Ordre du jour » liste les dossiers, chacun « à "
            "examiner » ou avec sa décision. Une fois la séance ouverte, le quorum s'affiche "
            "avec les présences.</p>",
            "<p>Open a session: the agenda lists the applications, each “to examine” or with "
            "its decision. Once the session is open, the quorum is shown with the "
            "attendance.</p>",
            Shot(
                "conseiller-seance",
                "Capture d'écran : une séance ouverte, avec le quorum et l'ordre du jour.",
                "Screenshot: an open session, with its quorum and agenda (French interface).",
            ),
        ),
        Step(
            "Étudier un dossier",
            "Study an application",
            "<p>Cliquez sur un point de l'ordre du jour : le budget du projet, « le dossier "
            "complet », et la « Délibération », visible des membres du conseil et des agents "
            "seulement. Écrivez « Votre message » puis « Publier » ; cochez la case pour "
            "poser une question au porteur du projet, qui répond depuis son espace.</p>",
            "<p>Click an item of the agenda: the project's budget, “the full application”, "
            "and the deliberation, seen only by council members and officers. Write your "
            "message, then “Publish”; tick the box to ask the project's carrier a question, "
            "which they answer from their space.</p>",
            Shot(
                "conseiller-point",
                "Capture d'écran : la délibération d'un point, avec la zone « Votre "
                "message » et la case pour poser une question au porteur.",
                "Screenshot: an item's deliberation, with the message box and the tick box "
                "to ask the carrier a question (French interface).",
            ),
        ),
        Step(
            "Se déporter",
            "Stand aside",
            "<p>Si vous avez un intérêt dans un dossier (vous le portez, un proche y "
            "participe…), déclarez-le avant l'ouverture du vote : « Déclarer un intérêt », "
            "avec sa nature si vous le souhaitez. Vous ne voterez pas sur ce point, ni pour "
            "un membre dont vous tenez le pouvoir ; le procès-verbal le mentionne.</p>",
            "<p>If you have an interest in an application (you carry it, someone close to "
            "you takes part…), declare it before the vote opens: “Declare an interest”, with "
            "its nature if you wish. You will not vote on that item, nor for a member whose "
            "proxy you hold; the minutes say so.</p>",
            Shot(
                "conseiller-deport",
                "Capture d'écran : le champ « Déclarer un intérêt sur ce point » et son "
                "bouton, avant l'ouverture du vote.",
                "Screenshot: the field and button to declare an interest in an item, before "
                "the vote opens (French interface).",
            ),
        ),
        Step(
            "Voter",
            "Vote",
            "<p>Quand le maire de quartier ouvre le vote, rechargez la page du point : "
            "« Votre vote » propose « Pour », « Contre » et « Abstention ». Si vous tenez le "
            "pouvoir d'un membre absent, un second choix s'affiche en son nom. Un vote "
            "enregistré ne se change pas ; au scrutin secret, personne ne voit votre "
            "choix.</p>",
            "<p>When the maire de quartier opens the vote, reload the item's page: “Your "
            "vote” offers “For”, “Against” and “Abstain”. If you hold the proxy of an absent "
            "member, a second choice appears in their name. A vote cast cannot be changed; "
            "in a secret ballot, nobody sees your choice.</p>",
            Shot(
                "conseiller-vote",
                "Capture d'écran : un vote ouvert, avec les boutons « Pour », « Contre » et "
                "« Abstention ».",
                "Screenshot: an open vote, with the “For”, “Against” and “Abstain” buttons "
                "(French interface).",
            ),
        ),
    ),
)

CHAIR = Guide(
    slug="guide-maires-de-quartier",
    title="Guide du maire de quartier",
    title_en="Guide for the maire de quartier",
    intro=(
        "Le maire de quartier préside le conseil : il prépare et ouvre la séance, fait "
        "voter, proclame et publie les décisions, puis signe le procès-verbal."
    ),
    intro_en=(
        "The maire de quartier chairs the neighbourhood council: prepares and opens the "
        "session, puts items to the vote, announces and publishes the decisions, then "
        "signs the minutes."
    ),
    summary=(
        "préparer et ouvrir la séance, le quorum, faire voter, proclamer, publier, signer "
        "le procès-verbal"
    ),
    summary_en=(
        "prepare and open the session, the quorum, the vote, announce, publish, sign the minutes"
    ),
    steps=(
        Step(
            "Préparer la séance",
            "Prepare the session",
            "<p>Dans l'« Espace du conseil », cliquez sur « Planifier et préparer les "
            "séances », puis « Planifier une séance » : date, heure, lieu, séance publique "
            "ou huis clos. Inscrivez les dossiers recevables à l'ordre du jour, puis "
            "« Envoyer la convocation » : chaque membre la reçoit par courriel.</p>",
            "<p>In the “Council space”, click “Plan and prepare sessions”, then “Plan a "
            "session”: date, time, place, public or closed session. Put the admissible "
            "applications on the agenda, then “Send the notice of meeting”: every member "
            "receives it by email.</p>",
            Shot(
                "maire-preparer",
                "Capture d'écran : « Préparer les séances », avec le bouton « Planifier une "
                "séance » et les séances du conseil.",
                "Screenshot: preparing sessions, with the button to plan a session and the "
                "council's sessions (French interface).",
            ),
        ),
        Step(
            "Ouvrir la séance : présences et quorum",
            "Open the session: attendance and quorum",
            "<p>Le jour venu, ouvrez la page de la séance dans l'espace du conseil. Sous "
            "« Présences », cochez les membres présents puis « Enregistrer les présences » ; "
            "notez chaque pouvoir avec « Enregistrer le pouvoir » (un seul par membre "
            "présent). Le site affiche le quorum, d'ordinaire la majorité des membres en "
            "exercice présents — les pouvoirs ne comptent pas. Cliquez sur « Ouvrir la "
            "séance », ou « Clore faute de quorum ».</p>",
            "<p>On the day, open the session's page in the council space. Under “Attendance”, "
            "tick the members present, then “Record attendance”; note each proxy with "
            "“Record the proxy” (one per member present). The site shows the quorum, "
            "usually a majority of the members in office being present — proxies do not "
            "count. Click “Open the session”, or “Close for lack of quorum”.</p>",
            Shot(
                "maire-seance",
                "Capture d'écran : les présences d'une séance, les pouvoirs et la conduite "
                "de la séance.",
                "Screenshot: a session's attendance, proxies and the buttons to conduct it "
                "(French interface).",
            ),
        ),
        Step(
            "Faire voter",
            "Put an item to the vote",
            "<p>Sur la page du point, choisissez le « Mode de scrutin » (à main levée, par "
            "appel nominal ou à bulletin secret), vérifiez le « Montant proposé (€) » — au "
            "plus le montant demandé — puis « Ouvrir le vote ». Vous pouvez aussi « Ajourner "
            "ce point », avec un motif. Si vous portez le dossier ou y avez un intérêt, le "
            "vice-président préside ce point à votre place.</p>",
            "<p>On the item's page, choose the “Voting method” (show of hands, roll call or "
            "secret ballot), check the “Proposed amount (€)” — at most the amount requested "
            "— then “Open the vote”. You may also “Defer this item”, with a reason. If you "
            "carry the application or have an interest in it, the vice-chair chairs that "
            "item instead.</p>",
            Shot(
                "maire-vote",
                "Capture d'écran : l'ouverture du vote d'un point, avec le mode de scrutin "
                "et le montant proposé.",
                "Screenshot: opening the vote on an item, with the voting method and the "
                "proposed amount (French interface).",
            ),
        ),
        Step(
            "Clore le vote et proclamer la décision",
            "Close the vote and announce the decision",
            "<p>Le décompte avance sous vos yeux (au scrutin secret, il reste scellé jusqu'à "
            "la clôture). Cliquez sur « Clore le vote », puis « Enregistrer la décision » : le "
            "site applique la règle de majorité du conseil — votre voix départage une "
            "égalité si le conseil l'a prévu, sauf au scrutin secret — et donne la référence "
            "de la décision, que vous proclamez.</p>",
            "<p>The tally moves on as members vote (in a secret ballot it stays sealed until "
            "the vote closes). Click “Close the vote”, then “Record the decision”: the site "
            "applies the council's majority rule — your vote breaks a tie if the council "
            "provides for it, except in a secret ballot — and gives the decision's "
            "reference, which you announce.</p>",
            Shot(
                "maire-proclamer",
                "Capture d'écran : une décision enregistrée, avec sa référence, le décompte "
                "et le bouton « Publier la décision ».",
                "Screenshot: a recorded decision, with its reference, the tally and the "
                "button to publish it (French interface).",
            ),
        ),
        Step(
            "Publier la décision",
            "Publish the decision",
            "<p>« Publier la décision » ouvre une confirmation : la publication rend la "
            "décision publique, prévient le porteur et inscrit l'engagement au grand livre "
            "du fonds. Cliquez sur « Confirmer la publication et l'engagement ». Le site peut "
            "vous redemander votre mot de passe avant.</p>",
            "<p>“Publish the decision” opens a confirmation: publishing makes the decision "
            "public, tells the carrier and records the commitment in the fund's ledger. "
            "Click “Confirm publication and commitment”. The site may ask for your password "
            "again first.</p>",
            Shot(
                "maire-publier",
                "Capture d'écran : la confirmation de la publication d'une décision et de "
                "son engagement au grand livre.",
                "Screenshot: confirming the publication of a decision and its commitment in "
                "the ledger (French interface).",
            ),
        ),
        Step(
            "Clore la séance et signer le procès-verbal",
            "Close the session and sign the minutes",
            "<p>Quand chaque point a sa décision, cliquez sur « Clore la séance ». Relisez le "
            "procès-verbal puis « Signer le procès-verbal » : il porte les présences, le "
            "quorum, chaque vote et l'empreinte du grand livre. « Télécharger le "
            "procès-verbal (PDF) » le donne à lire, et la liste publique des séances le "
            "propose à tous.</p>",
            "<p>When every item has its decision, click “Close the session”. Read the "
            "minutes, then “Sign the minutes”: they hold the attendance, the quorum, every "
            "vote and the ledger's fingerprint. “Download the minutes (PDF)” gives them to "
            "read, and the public list of sessions offers them to everyone.</p>",
            Shot(
                "maire-proces-verbal",
                "Capture d'écran : une séance close, ses décisions et le lien « Télécharger "
                "le procès-verbal (PDF) » avec la date de signature.",
                "Screenshot: a closed session, its decisions and the link to download the "
                "signed minutes (French interface).",
            ),
        ),
    ),
)

ADMINISTRATOR = Guide(
    slug="guide-administrateurs",
    title="Guide de l'administrateur",
    title_en="Administrators' guide",
    intro=(
        "Mettre la commune en place et la tenir à jour : quartiers, fonds et enveloppes, "
        "conseils et mandats, rôles du personnel, paramètres et pages du site."
    ),
    intro_en=(
        "Set the commune up and keep it up to date: neighbourhoods, funds and envelopes, "
        "councils and terms of office, staff roles, the site's settings and pages."
    ),
    summary=("quartiers, fonds, enveloppes, conseils et mandats, rôles, paramètres du site"),
    summary_en=(
        "neighbourhoods, funds, envelopes, councils and terms of office, roles, site settings"
    ),
    steps=(
        Step(
            "L'administration",
            "The administration",
            "<p>Connectez-vous puis cliquez sur « Administration » en haut de la page. Le "
            "menu de gauche rassemble ce que vous réglez : « Pages », « Fonds des "
            "quartiers » (Thèmes, Quartiers, Fonds), « Conseils », « Rôles du personnel » "
            "et « Paramètres ».</p>",
            "<p>Sign in, then click “Administration” at the top of the page. The menu on "
            "the left gathers what you set up: “Pages”, “Neighbourhood funds” (themes, "
            "neighbourhoods, funds), “Councils”, “Staff roles” and “Settings”.</p>",
            Shot(
                "administrateur-menu",
                "Capture d'écran : le menu de l'administration, ouvert sur « Fonds des "
                "quartiers » : Thèmes, Quartiers et Fonds.",
                "Screenshot: the administration menu, open on the neighbourhood funds: "
                "themes, neighbourhoods and funds (French interface).",
            ),
        ),
        Step(
            "Les quartiers",
            "Neighbourhoods",
            "<p>« Fonds des quartiers » › « Quartiers » liste les quartiers. « Ajouter un(e) "
            "quartier » en crée un : son nom, son code, une description et son contour "
            "(GeoJSON), tracé sur les cartes. Sa page publique est créée avec lui.</p>",
            "<p>“Neighbourhood funds” › “Neighbourhoods” lists the neighbourhoods. The add "
            "button creates one: its name, its code, a description and its outline "
            "(GeoJSON), drawn on the maps. Its public page is created with it.</p>",
            Shot(
                "administrateur-quartiers",
                "Capture d'écran : la liste des quartiers dans l'administration.",
                "Screenshot: the list of neighbourhoods in the administration (French interface).",
            ),
        ),
        Step(
            "Les fonds",
            "Funds",
            "<p>« Fonds des quartiers » › « Fonds » : un fonds par quartier et par période. "
            "Réglez les dates de la période et des dépôts, le « Montant maximal par "
            "initiative (€) », la « Part minimale de cofinancement (%) », le « Mode de "
            "décision » et le « Statut » (En préparation, Ouvert, Clos), puis "
            "« Enregistrer ».</p>",
            "<p>“Neighbourhood funds” › “Funds”: one fund per neighbourhood and period. Set "
            "the dates of the period and of submissions, the maximum amount per initiative, "
            "the minimum co-funding share, the decision mode and the status (in "
            "preparation, open, closed), then “Save”.</p>",
            Shot(
                "administrateur-fonds",
                "Capture d'écran : la fiche d'un fonds, avec sa période, ses dates de dépôt "
                "et ses règles.",
                "Screenshot: a fund's form, with its period, submission dates and rules "
                "(French interface).",
            ),
        ),
        Step(
            "L'enveloppe d'un fonds",
            "A fund's envelope",
            "<p>L'argent d'un fonds vient d'un crédit inscrit au grand livre, jamais d'un "
            "champ modifiable. Sur la page publique du fonds (menu « Fonds et grand "
            "livre »), cliquez sur « Créditer l'enveloppe », indiquez le montant et un "
            "libellé, puis « Vérifier avant d'inscrire » et « Confirmer et inscrire au grand "
            "livre ». En fin de période, « Clore la période » reporte ou rend ce qui n'a pas "
            "été dépensé.</p>",
            "<p>A fund's money comes from a credit recorded in the ledger, never from a field "
            "one can edit. On the fund's public page (menu “Funds and ledger”), click "
            "“Credit the envelope”, give the amount and a label, then “Check before "
            "recording” and “Confirm and record in the ledger”. At the end of the period, "
            "closing it carries forward or gives back what was not spent.</p>",
            Shot(
                "administrateur-enveloppe",
                "Capture d'écran : le formulaire « Créditer l'enveloppe » d'un fonds.",
                "Screenshot: the form to credit a fund's envelope (French interface).",
            ),
        ),
        Step(
            "Conseils et mandats",
            "Councils and terms of office",
            "<p>« Conseils » liste un conseil par quartier ; « Modifier le conseil et ses "
            "règles » règle le quorum, la majorité et la voix prépondérante. "
            "« Composition » montre les membres en exercice : « Attribuer un mandat à un "
            "compte existant » (siège, début et dernier jour) ou « Inviter par courriel ». "
            "Un mandat prend fin seul à sa date ; « Mettre fin au mandat » l'arrête plus "
            "tôt.</p>",
            "<p>“Councils” lists one council per neighbourhood; “Edit the council and its "
            "rules” sets the quorum, the majority and the casting vote. “Membership” shows "
            "the members in office: assign a term of office to an existing account (seat, "
            "first and last day) or invite someone by email. A term ends by itself on its "
            "date; “End the term of office” stops it sooner.</p>",
            Shot(
                "administrateur-conseils",
                "Capture d'écran : la composition d'un conseil de quartier, avec ses "
                "membres en exercice.",
                "Screenshot: a neighbourhood council's membership, with its members in "
                "office (French interface).",
            ),
        ),
        Step(
            "Les rôles du personnel",
            "Staff roles",
            "<p>« Rôles du personnel » donne à un compte le rôle d'agent instructeur (pour "
            "un quartier) ou d'administrateur, pour une période : « Attribuer le rôle », ou "
            "« Envoyer l'invitation » à une adresse électronique. « Retirer » met fin à un "
            "rôle ; chaque changement est tracé.</p>",
            "<p>“Staff roles” gives an account the role of instructor (for a "
            "neighbourhood) or administrator, for a period: “Assign the role”, or “Send the "
            "invitation” to an email address. “Withdraw” ends a role; every change is "
            "recorded.</p>",
            Shot(
                "administrateur-roles",
                "Capture d'écran : « Rôles du personnel », le formulaire pour attribuer un "
                "rôle à un compte existant.",
                "Screenshot: staff roles, the form to assign a role to an existing account "
                "(French interface).",
            ),
        ),
        Step(
            "Les paramètres du site",
            "The site's settings",
            "<p>« Paramètres » › « Identité de la commune » : nom de la commune, SIRET (pour "
            "les données ouvertes), logo, couleurs — le site refuse une couleur qui rendrait "
            "le texte illisible —, adresse de contact et cartes. Cliquez sur "
            "« Enregistrer » : le site change aussitôt.</p>",
            "<p>“Settings” › “Town identity”: the commune's name, SIRET (for open data), "
            "logo, colours — the site refuses a colour that would make text unreadable —, "
            "contact address and maps. Click “Save”: the site changes at once.</p>",
            Shot(
                "administrateur-parametres",
                "Capture d'écran : « Identité de la commune », avec le nom, le SIRET, le "
                "logo et les couleurs.",
                "Screenshot: the town identity settings, with the name, SIRET, logo and "
                "colours (French interface).",
            ),
        ),
        Step(
            "Adapter ces guides",
            "Adapt these guides",
            "<p>Ces guides sont des pages comme les autres : dans « Pages », ouvrez "
            "« Guides » pour en changer le texte ou la version anglaise. Les captures "
            "d'écran sont dans « Images », collection « Captures des guides ».</p>",
            "<p>These guides are pages like any other: in “Pages”, open “Guides” to change "
            "their text, in French and in English. The screenshots are in “Images”, in the "
            "“Captures des guides” collection.</p>",
        ),
    ),
)

GUIDES = (RESIDENT, INSTRUCTOR, COUNCIL_MEMBER, CHAIR, ADMINISTRATOR)

INDEX = {
    "title": "Guides",
    "title_en": "Guides",
    "intro": (
        "Pas à pas, ce que chacun fait sur le site : habitants, agents de la ville, "
        "membres des conseils, maires de quartier et administrateurs."
    ),
    "intro_en": (
        "Step by step, what each person does on the site: residents, town officers, "
        "council members, maires de quartier and administrators."
    ),
}
INDEX_TEXT = (
    "<p>Choisissez le guide qui vous concerne. Les captures d'écran viennent du site de "
    "démonstration : les personnes, les projets et les montants sont fictifs.</p>"
)
INDEX_TEXT_EN = (
    "<p>Choose the guide for you. The screenshots come from the demonstration site, in "
    "French: the people, projects and amounts are fictitious.</p>"
)
HOME_LINK = (
    '<p>Première visite ? <a linktype="page" id="{pk}">Les guides</a> expliquent pas à pas '
    "comment proposer un projet, instruire un dossier, siéger au conseil ou administrer le "
    "site.</p>"
)
HOME_LINK_EN = (
    '<p>First visit? <a linktype="page" id="{pk}">The guides</a> explain step by step how to '
    "propose a project, review an application, sit on a council or run the site.</p>"
)
RULES_LINK = (
    '<p>Pour chaque rôle, <a linktype="page" id="{pk}">les guides</a> montrent le site pas '
    "à pas, captures d'écran à l'appui.</p>"
)


def typeset(text):
    """French text with its spaces before punctuation and inside quotes unbreakable."""
    for space, unbreakable in FRENCH_SPACES:
        text = text.replace(space, unbreakable)
    return text


def screenshots():
    """Every screenshot the guides show, in their order."""
    return [step.shot for guide in GUIDES for step in guide.steps if step.shot]


def demo_guides():
    """The « Guides » page under the home page and a guide per role under it; once. The
    home page and « Comment ça marche » link to them when the section is first made."""
    home = HomePage.objects.get(pk=ensure_site().pk)
    index = StandardPage.objects.child_of(home).filter(slug=INDEX_SLUG).first()
    created = index is None
    if created:
        fields = {**INDEX, "intro": typeset(INDEX["intro"])}
        index = home.add_child(instance=StandardPage(slug=INDEX_SLUG, **fields))
    pages = [_guide_page(index, guide) for guide in GUIDES]
    if created:
        _write_index(index, pages)
        _link_from_home(home, index)
        _link_from_rules(home, index)
    return index


def _guide_page(index, guide):
    page = StandardPage.objects.child_of(index).filter(slug=guide.slug).first()
    if page is not None:
        return page
    return index.add_child(
        instance=StandardPage(
            slug=guide.slug,
            title=guide.title,
            title_en=guide.title_en,
            intro=typeset(guide.intro),
            intro_en=guide.intro_en,
            body=_body(guide, english=False),
            body_en=_body(guide, english=True),
        )
    )


def _body(guide, *, english):
    blocks = []
    for number, step in enumerate(guide.steps, start=1):
        heading = step.heading_en if english else typeset(step.heading)
        blocks.append(("heading", f"{number}. {heading}"))
        blocks.append(("paragraph", RichText(step.text_en if english else typeset(step.text))))
        image = _screenshot(step.shot) if step.shot else None
        if image is not None:
            alt = step.shot.alt_en if english else step.shot.alt
            blocks.append(("image", {"image": image, "alt": alt, "caption": ""}))
    return blocks


def _screenshot(shot):
    """The Wagtail image of a screenshot, made once from its PNG file; None without
    the file."""
    title = f"Capture du guide : {shot.name}"
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing
    if not shot.path.is_file():
        return None
    with shot.path.open("rb") as file:
        return Image.objects.create(
            title=title,
            collection=_collection(),
            file=ImageFile(file, name=shot.path.name),
        )


def _collection():
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=COLLECTION).first()
    return existing or root.add_child(name=COLLECTION)


def _links(pages, *, english):
    """The list of the guides, each with what it covers."""
    items = []
    for guide, page in zip(GUIDES, pages, strict=True):
        link = f'<a linktype="page" id="{page.pk}">'
        if english:
            items.append(f"<li>{link}{guide.title_en}</a>: {guide.summary_en}.</li>")
        else:
            items.append(f"<li>{link}{guide.title}</a>{typeset(' : ' + guide.summary)}.</li>")
    return RichText(f"<ul>{''.join(items)}</ul>")


def _write_index(index, pages):
    index.body = [
        ("paragraph", RichText(typeset(INDEX_TEXT))),
        ("paragraph", _links(pages, english=False)),
    ]
    index.body_en = [
        ("paragraph", RichText(INDEX_TEXT_EN)),
        ("paragraph", _links(pages, english=True)),
    ]
    index.save()


def _link_from_home(home, index):
    home.intro = (home.intro or "") + typeset(HOME_LINK.format(pk=index.pk))
    if home.intro_en:
        home.intro_en += HOME_LINK_EN.format(pk=index.pk)
    home.save()


def _link_from_rules(home, index):
    rules = StandardPage.objects.child_of(home).filter(slug=RULES_SLUG).first()
    if rules is None:
        return
    rules.body.append(("paragraph", RichText(typeset(RULES_LINK.format(pk=index.pk)))))
    rules.save()
