-- wrk script for the private_key_jwt and jwt-bearer token benchmarks: as token.lua, but each request carries its own
-- assertion (the jti is single-use), read from BENCH_ASSERTIONS (one per line, made by bench Assertions) and sent
-- after BENCH_PREFIX (default: a client_credentials request with a private_key_jwt client assertion; for jwt-bearer,
-- "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=").
-- Thread i of BENCH_THREADS takes lines i, i+T, i+2T, … so no two requests share an assertion; once a thread runs
-- out, its requests are refused and counted as non-200 — make more assertions rather than read a short run.
-- token.lua reads BENCH_BASIC: set it to anything; the Authorization header is dropped below.
dofile("bench/token.lua")
wrk.headers["Authorization"] = nil

local token_init = init
local assertions = {}
local next_assertion = 1
local prefix = os.getenv("BENCH_PREFIX") or ("grant_type=client_credentials"
  .. "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=")

function init(args)
  token_init(args)
  local stride = tonumber(os.getenv("BENCH_THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("BENCH_ASSERTIONS")) do
    if i % stride == thread_id - 1 then
      assertions[#assertions + 1] = line
    end
    i = i + 1
  end
end

function request()
  local assertion = assertions[next_assertion] or "exhausted"
  next_assertion = next_assertion + 1
  return wrk.format(nil, nil, nil, prefix .. assertion)
end
