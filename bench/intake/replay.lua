-- wrk script for bench/intake: cycles through pre-generated, pre-signed requests.
--
-- BENCH_REQUESTS names a file with one request per line: "<X-CRM-Signature value>\t<JSON body>".
-- Thread k of n sends lines k, k+n, k+2n, ... so no two requests are alike: every request is a new
-- lead with its own email, never a replay. If a thread runs out it starts again from its first line
-- (replays, answered 200); bench/intake.py sees that in the status counts and reports the run invalid.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local path = os.getenv("BENCH_REQUESTS")
  requests = {}
  statuses = {}
  wrapped = 0
  counter = 0
  local line_no = 0
  for line in io.lines(path) do
    if line_no % nthreads == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
      if signature ~= "" then
        headers["X-CRM-Signature"] = signature
      end
      requests[#requests + 1] = wrk.format("POST", wrk.path, headers, body)
    end
    line_no = line_no + 1
  end
end

function request()
  counter = counter + 1
  if counter > #requests then
    counter = 1
    wrapped = wrapped + 1
  end
  return requests[counter]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local parts = {}
  local wraps = 0
  local counts = {}
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wrapped")
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "wrapped": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max, wraps, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(parts, ", ")))
end
