-- wrk script of bench/totp_verify: each thread sends its share of the lines
-- of the requests file (`<mfa token> <code>`), each once, as
-- POST /api/mfa/verify. A token and a code work once, so a second round
-- would only measure refusals: a thread whose share runs out stops. wrk
-- still runs for its whole duration and divides by it, so bench/totp_verify
-- refuses a run in which the requests ran out.
local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    table.insert(threads, thread)
    next_id = next_id + 1
end

function init(args)
    local count = tonumber(args[2])
    requests = {}
    local n = 0
    for line in io.lines(args[1]) do
        if n % count == id then
            local token, code = line:match("^(%S+) (%d+)$")
            table.insert(requests, { token = token, code = code })
        end
        n = n + 1
    end
    sent = 0
end

function request()
    sent = sent + 1
    local r = requests[sent]
    if r == nil then
        wrk.thread:stop()
        -- A request must be returned; should the stopping thread still send it,
        -- the page (200) is asked for, not a verify that would fail.
        return wrk.format("GET", "/")
    end
    return wrk.format("POST", "/api/mfa/verify", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. r.token,
    }, '{"method":"totp","code":"' .. r.code .. '"}')
end
