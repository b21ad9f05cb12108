-- wrk script: BITS-sized work. Every request asks for one 64 KiB range (RANGE_SIZE) at a random
-- offset of an object of OBJECT_SIZE bytes, on keep-alive connections.
local object_size = tonumber(os.getenv("OBJECT_SIZE") or "1073741824")
local range_size = tonumber(os.getenv("RANGE_SIZE") or "65536")
local errors = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  local first = math.random(0, object_size - range_size)
  wrk.headers["Range"] = "bytes=" .. first .. "-" .. (first + range_size - 1)
  return wrk.format(nil)
end

response = function(status, headers, body)
  if status ~= 206 then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  local non206 = summary.errors.status
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d socket_errors=%d non_2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    non206))
end
