"""The instructors' back-office in the Wagtail admin (/cms/): the queue of dossiers per
quartier, one dossier with its history and the instruction actions, and the lists
administrators edit (themes, quartiers, funds). URLs and menus are registered in
``fonds.wagtail_hooks``."""
