-- wrk: POST the body in $BODY (default body.json beside this script) as JSON
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local path = os.getenv("BODY") or (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "body.json"
local f = assert(io.open(path)); wrk.body = f:read("*a"); f:close()
