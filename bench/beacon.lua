-- wrk script for the beacon benchmark: varied beacons (GET with a query string, or POST with
-- a text/plain JSON body as sendBeacon sends it), varied pages, user agents and client
-- addresses (X-Forwarded-For: the server trusts loopback as a proxy).
--
-- Counting 204s exactly: wrk stops at its deadline with requests in flight, whose visits may be
-- stored although wrk never counts their 204. So the bench creates a stop file instead; from
-- then on each wrk thread sends only requests that store nothing (GET /bench-idle, a 404) and
-- stops itself once every beacon it sent has been answered. args: stop file, site id.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  stopfile = args[1]
  site = args[2] or "1"
  issued, answered, s204, other = 0, 0, 0, 0
  stopping = false
  calls = 0
  math.randomseed(os.time() * 100 + id)
end

local agents = {
  "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
}
local referrers = {"", "https%3A%2F%2Fwww.google.com%2F", "https%3A%2F%2Fnews.ycombinator.com%2F"}

function request()
  calls = calls + 1
  if not stopping and calls % 32 == 0 then
    local f = io.open(stopfile, "r")
    if f then f:close(); stopping = true end
  end
  if stopping then
    return wrk.format("GET", "/bench-idle")
  end
  issued = issued + 1
  local n = math.random(1, 1000000)
  local page = n % 2000
  local headers = {
    ["User-Agent"] = agents[n % 4 + 1],
    ["X-Forwarded-For"] = "8.8." .. (n % 4) .. "." .. (n % 250 + 1),
  }
  if n % 2 == 0 then
    local path = "/sites/" .. site .. "/visit?url=https%3A%2F%2Fexample.com%2Fpage%2F" .. page
    local ref = referrers[n % 3 + 1]
    if ref ~= "" then path = path .. "&referrer=" .. ref end
    return wrk.format("GET", path .. "&width=" .. (320 + n % 1600), headers)
  end
  headers["Content-Type"] = "text/plain;charset=UTF-8"
  local body = '{"url":"https://example.com/post/' .. page .. '","event":"pageview","width":390}'
  return wrk.format("POST", "/sites/" .. site .. "/visit", headers, body)
end

function response(status, headers, body)
  if status ~= 404 then
    answered = answered + 1
    if status == 204 then s204 = s204 + 1 else other = other + 1 end
  end
  if stopping and answered >= issued then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local t204, tother = 0, 0
  for _, t in ipairs(threads) do
    t204 = t204 + t:get("s204")
    tother = tother + t:get("other")
  end
  io.write(string.format("BENCH s204=%d other=%d p50_us=%d p99_us=%d errors=%d\n",
    t204, tother, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
