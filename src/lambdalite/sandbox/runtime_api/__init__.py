"""The Lambda Runtime API (2018-06-01, spec 8.3), served to custom runtimes and AWS's runtime
interface clients: one loopback listener per execution environment (http.py speaks HTTP,
server.py the API's paths, headers, states and errors)."""
