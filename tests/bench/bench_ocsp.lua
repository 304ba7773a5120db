-- bench_ocsp.lua: wrk script POSTing one fixed OCSP request (path in the
-- OCSP_REQ environment variable).
local f = assert(io.open(os.getenv("OCSP_REQ"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/ocsp-request"
