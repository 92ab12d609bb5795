#!/usr/bin/env python3
"""SQLite index build settings, outside Trove (bench/RESULTS.md, "SQLite index builds"): 5M synthetic interactions
inserted in one transaction, then both secondary indexes built in the same transaction under the given temp_store
and cache_size; prints seconds per step. Usage: sqlite-index-sweep.py TEMP_STORE:CACHE_SIZE ... (e.g. file:-2000
memory:-65536); THR=2 sets PRAGMA threads. Writes /tmp/sqlidx.db."""
import sqlite3, random, time, os, sys
random.seed(1); n=5_000_000
rows=[(random.randrange(200000), int(50000*random.random()**3), 1.0, None, 1600000000+i, 'view') for i in range(n)]
for spec in sys.argv[1:]:
    ts, ic = spec.split(':')
    p='/tmp/sqlidx.db'
    for suf in ['','-wal','-shm']:
        if os.path.exists(p+suf): os.remove(p+suf)
    c=sqlite3.connect(p, isolation_level=None); c.execute('pragma journal_mode=wal'); c.execute('pragma synchronous=full'); c.execute('pragma cache_size=-65536'); c.execute('pragma temp_store=memory')
    c.execute('create table interactions(id integer primary key, user_id integer not null, item_id integer not null, weight real, score real, timestamp integer, event text)')
    c.execute('begin')
    t=time.time(); c.executemany('insert into interactions(user_id,item_id,weight,score,timestamp,event) values(?,?,?,?,?,?)', rows); t1=time.time()
    c.execute(f'pragma temp_store={ts}'); c.execute(f'pragma cache_size={ic}'); c.execute('pragma threads=' + os.environ.get('THR','0'))
    c.execute('create index ix_u on interactions(user_id)'); t2=time.time()
    c.execute('create index ix_i on interactions(item_id)'); t3=time.time()
    c.execute('commit'); t4=time.time()
    print(spec, 'insert', round(t1-t,2), 'user', round(t2-t1,2), 'item', round(t3-t2,2), 'commit', round(t4-t3,2), flush=True)
