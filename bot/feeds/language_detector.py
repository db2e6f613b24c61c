"""The language detector with every model loaded: imported by the parse pool's fork server.

Loading them takes seconds of CPU and about 900 MB; done once there, before any worker is forked,
every worker shares them, and a worker that replaces a crashed one needs no time to reload them.
"""

from summarizer import load_language_detector

load_language_detector()
