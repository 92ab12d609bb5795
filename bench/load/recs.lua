-- Top-10 recommendations for a random user among the 50,000 simulated ones.
-- Extra query parameters come after `--`, e.g. wrk ... -s recs.lua URL -- retrieval=hnsw
math.randomseed(7)
local extra = ""
function init(args)
  if #args > 0 then extra = "&" .. table.concat(args, "&") end
end
request = function()
  return wrk.format("GET", string.format("/users/u%05d/recommendations?k=10%s", math.random(1, 50000), extra))
end
