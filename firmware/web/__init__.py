"""The HTTP side: the server (microdot for a small heap), the routes with the login
and the error answers (routes, auth), static files (static), and one module per API
family: homewizard (/api*), history (/current/*, /meter/*, /historic/*), setup
(/setup*, /events), update (/update*, loaded per request), about (/about, loaded per
request). Nothing outside web/ imports it, except firmware.app."""
