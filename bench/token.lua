-- wrk script for the token benchmark: POST grant_type=client_credentials with HTTP Basic (client_secret_basic) on
-- keep-alive connections. Counts every non-200 answer, keeps every BENCH_SAMPLE_EVERY-th token for the JWKS check,
-- and writes one JSON line of results to BENCH_OUT. Environment: BENCH_BASIC (base64 of id:secret), BENCH_OUT,
-- BENCH_SAMPLES (directory, optional), BENCH_SAMPLE_EVERY (default 100), BENCH_BODY (the form, default
-- grant_type=client_credentials: a scenario such as a resource-bound request sends its own).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")

local threads = {}
responses = 0
failed = 0
local every = tonumber(os.getenv("BENCH_SAMPLE_EVERY") or "100")
local samples = nil

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  local dir = os.getenv("BENCH_SAMPLES")
  if dir then
    samples = io.open(string.format("%s/tokens-%d-%d.txt", dir, os.time(), thread_id), "a")
  end
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    failed = failed + 1
  elseif samples and responses % every == 0 then
    local token = body:match('"access_token"%s*:%s*"([^"]+)"')
    if token then
      samples:write(token, "\n")
      samples:flush()
    end
  end
end

function done(summary, latency, requests)
  local non200 = 0
  for _, thread in ipairs(threads) do
    non200 = non200 + (thread:get("failed") or 0)
  end
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"non200":%d,"socket_errors":%d,"timeouts":%d,'
      .. '"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, non200, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
  out:close()
end
