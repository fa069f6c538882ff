-- wrk script for bench/api.py.
--
--   wrk ... -s bench/api.lua URL -- get  PREFIX FILE [AUTH]  GET PREFIX..line, FILE's lines in turn
--   wrk ... -s bench/api.lua URL -- post PATH  FILE          POST FILE's contents (JSON) to PATH
--
-- AUTH, if given, is sent as the Authorization header.
--
-- Each thread starts at its own place in FILE's lines. At the end one line is printed
-- for bench/api.py to read:
--   RESULT requests=N seconds=S p50_us=.. p99_us=.. non2xx=.. connect=.. read=.. write=.. timeout=..

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local mode, prefix, lines, at

local function read_lines(path)
  local found = {}
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(found, line)
    end
  end
  return found
end

function init(args)
  mode, prefix = args[1], args[2]
  if args[4] then
    wrk.headers["Authorization"] = args[4]
  end
  if mode == "get" then
    lines = read_lines(args[3])
    at = ((id or 1) * 7919) % #lines
  elseif mode == "post" then
    local file = assert(io.open(args[3], "rb"))
    wrk.method = "POST"
    wrk.path = prefix
    wrk.body = file:read("*a")
    wrk.headers["Content-Type"] = "application/json"
    file:close()
  else
    error("mode must be get or post, not " .. tostring(mode))
  end
end

function request()
  if mode == "get" then
    at = at % #lines + 1
    return wrk.format("GET", prefix .. lines[at])
  end
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f p50_us=%d p99_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
