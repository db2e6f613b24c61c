"""The language detector with every model loaded: imported by the parse pool's fork server.

Loading them takes seconds of CPU and about 900 MB; done once there, before any worker is forked,
every worker shares them, and a worker that replaces a crashed one needs no time to reload them.
"""

from summarizer import detect_language

# Shorter than 120 characters: lingua loads the models of every n-gram length, not only trigrams.
detect_language("Any short sentence loads every model of the language detector.")
