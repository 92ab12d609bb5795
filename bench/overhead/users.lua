-- Top-10 recommendations for the users listed in a file (one raw id a line), in turn: the queries IndexBench --users
-- times alone, so bench/overhead/interleaved.sh compares the server and the search on the same users.
--   wrk ... -s users.lua URL -- FILE [extra=query&parameters]
local users, next, extra = {}, 0, ""
function init(args)
  for line in io.lines(args[1]) do users[#users + 1] = line end
  if #args > 1 then extra = "&" .. table.concat(args, "&", 2) end
end
request = function()
  next = next % #users + 1
  return wrk.format("GET", "/users/" .. users[next] .. "/recommendations?k=10" .. extra)
end
