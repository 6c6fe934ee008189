"""Template workbooks: a declarative spec (:mod:`.spec`, in the vocabulary of :mod:`.model`) and
the openpyxl generator that interprets it (:mod:`.build`). ``xlmargin templates`` writes them."""

from xlmargin.templates.build import TemplateError, write, write_all
from xlmargin.templates.hedge_planner import HEDGE_PLANNER
from xlmargin.templates.model import Book
from xlmargin.templates.spec import BOOKS

TEMPLATES: dict[str, Book] = {book.name: book for book in (*BOOKS, HEDGE_PLANNER)}
"""Every template, by file stem."""

__all__ = ["TEMPLATES", "Book", "TemplateError", "write", "write_all"]
