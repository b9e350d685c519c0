#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truffles.settings")
    if sys.argv[1:2] in (["migrate"], ["backup"], ["restore"]):
        # Schema changes, whole-database dumps and restores are the owner's; the site's own role may not
        # make them (README, least privilege).
        os.environ.setdefault("TRUFFLES_DATABASE_ROLE", "owner")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
