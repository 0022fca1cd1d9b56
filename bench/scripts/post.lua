-- wrk: POST the body in $BODY (default body.json beside this script) as JSON; with $KEY, as that API key
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("KEY") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY") end
local path = os.getenv("BODY") or (debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "body.json"
local f = assert(io.open(path)); wrk.body = f:read("*a"); f:close()
