"""Development-only mail capture: an SMTP sink that files each message, and /dev/mail to read them.

On a laptop nothing may leave the machine, yet people still need to click the links that
Sitepack emails (an export's download link). `make run` starts the sink; the page reads its folder.
"""
