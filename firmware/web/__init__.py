"""The HTTP side: the server (on microdot, for a small heap), the routes with the login
(routes, auth, gate), the replies (reply), static files (static), and one module per
API family, each loaded per request: homewizard (/api*), live and peak (/current/*),
history (/meter/*, /historic/*), capacity (/historic/peaks), flukso (/sensor/*), setup
(/setup*, /events), update (/update*), about (/about). Nothing outside web/ imports
it, except firmware.app."""
