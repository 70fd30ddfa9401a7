"""The councils in the Wagtail admin: the list of councils and their rules
(``councils``), and each council's composition — its mandates and the invitations to
its seats (``composition``). Administrators change them; instructors read them."""
