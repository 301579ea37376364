// SQL conformance: SELECT — WHERE and three-valued logic, predicates, functions, aggregates,
// ordering and paging, joins, subqueries, generate_series, set operations, WITH and VALUES
// (expected values printed by PostgreSQL 15.18), plus Tandem's Oracle-style additions.
import { describe, expect, it } from 'vitest';
import { conformanceFile, fails, ok, query, rows } from './sql-conformance-harness.js';

const { suite, conformance } = conformanceFile({
  tables: 'se_e, se_d, se_p, se_q, se_emp, se_dep, nj_a, nj_b, nj_c',
  setup: async (db) => {
    await query(db.client, "SET TIME ZONE 'UTC'");
  },
});

suite('setup', [
  ok('create table se_d (id int primary key, dname text)'),
  ok('create table se_e (id int primary key, name text, dept int, sal numeric(8,2), boss int)'),
  ok("insert into se_d values (1,'eng'),(2,'ops'),(3,'empty')"),
  ok(
    "insert into se_e values (1,'ann',1,100.50,null),(2,'bob',1,200,1),(3,'cy',2,150,1),(4,'di',null,null,2),(5,'ed',2,50.25,3)",
  ),
]);

suite('WHERE, comparisons and three-valued logic', [
  rows('select id, name from se_e where sal > 100 and dept = 1 order by id', [
    ['1', 'ann'],
    ['2', 'bob'],
  ]),
  rows('select id from se_e where sal > 100 or dept is null order by id', [['1'], ['2'], ['3'], ['4']]),
  rows('select id from se_e where not (sal > 100) order by id', [['5']]),
  rows('select id from se_e where sal <> 150 order by id', [['1'], ['2'], ['5']]),
  rows('select id from se_e where sal >= 150 and sal <= 200 order by id', [['2'], ['3']]),
  rows('select name from se_e where dept in (1, null) order by name', [['ann'], ['bob']]),
  rows('select name from se_e where dept not in (1, null) order by name', []),
  rows('select name from se_e where dept not in (2) order by name', [['ann'], ['bob']]),
  rows(
    'select name from se_e where dept not in (select dept from se_e where dept is not null and dept <> 1) order by name',
    [['ann'], ['bob']],
  ),
  rows('select name from se_e where dept not in (select dept from se_e) order by name', []),
  rows("select name from se_e where dept in (select id from se_d where dname like 'e%') order by 1", [
    ['ann'],
    ['bob'],
  ]),
  rows('select name from se_e where sal between 100 and 200 order by name', [['ann'], ['bob'], ['cy']]),
  rows('select name from se_e where sal not between 100 and 200 order by name', [['ed']]),
  rows('select name from se_e where sal between 200 and 100 order by name', []),
]);

suite('LIKE, IS NULL, IS DISTINCT FROM, CASE, CAST', [
  rows(
    "select 'abc' like 'a%', 'abc' like 'A%', 'abc' ilike 'A%', 'a_c' like 'a\\_c', 'abc' like 'a\\_c', 'a%c' like 'a!%c' escape '!', 'abc' not like '%z%', 'ABC' not ilike 'a%'",
    [['t', 'f', 't', 't', 'f', 't', 't', 'f']],
  ),
  rows("select name from se_e where name like '_d' order by name", [['ed']]),
  rows("select name from se_e where name like '%n%' order by name", [['ann']]),
  rows("select name from se_e where name ilike 'B%'", [['bob']]),
  rows('select id from se_e where sal is null', [['4']]),
  rows('select id from se_e where sal is not null order by id', [['1'], ['2'], ['3'], ['5']]),
  rows('select id from se_e where dept is distinct from 1 order by id', [['3'], ['4'], ['5']]),
  rows('select id from se_e where dept is not distinct from null', [['4']]),
  rows(
    "select name, case when sal > 150 then 'high' when sal > 60 then 'mid' else 'low' end as band, case dept when 1 then 'one' when 2 then 'two' end as d from se_e order by id",
    [
      ['ann', 'mid', 'one'],
      ['bob', 'high', 'one'],
      ['cy', 'mid', 'two'],
      ['di', 'low', null],
      ['ed', 'low', 'two'],
    ],
  ),
  rows(
    "select case when null then 1 else 2 end, case null when null then 'x' else 'y' end, case 1 when 2 then 'a' end",
    [['2', 'y', null]],
  ),
  rows(
    "select cast('12' as int) + 1, '3'::int * 2, cast(3.7 as int), cast(1 as text) || 'x', cast('2024-01-02' as date), 12::text, '1'::bigint::numeric::float8",
    [['13', '6', '4', '1x', '2024-01-02', '12', '1']],
  ),
  rows(
    "select 1 + 2 * 3, (1 + 2) * 3, 10 - 2 - 3, 2 ^ 3 ^ 2, -2 ^ 2, 7 / 2 * 2, 1 < 2, 'a' < 'b', 2 <> 3, 2 != 2, 5 >= 5",
    [['7', '9', '5', '64', '4', '6', 't', 't', 't', 'f', 't']],
  ),
]);

suite('string, date and conditional functions', [
  rows(
    "select length('héllo'), upper('abc'), lower('ABC'), substring('hello' from 2 for 3), substring('hello', 2), substr('hello', 2, 2), position('l' in 'hello'), position('z' in 'hello')",
    [['5', 'ABC', 'abc', 'ell', 'ello', 'el', '3', '0']],
  ),
  rows(
    "select trim('  x  ') || '|', ltrim('xxa', 'x'), rtrim('axx', 'x'), trim(both 'x' from 'xaxx'), trim(leading from '  a '), trim(trailing 'y' from 'ayy')",
    [['x|', 'a', 'a', 'a', 'a ', 'a']],
  ),
  rows(
    "select 'a' || 'b' || 1, concat('a', null, 2), replace('banana', 'an', 'AN'), lpad('7', 3, '0'), rpad('ab', 4, '*'), lpad('abcdef', 3), 'a' || null",
    [['ab1', 'a2', 'bANANa', '007', 'ab**', 'abc', null]],
  ),
  rows(
    "select concat_ws(',', 'a', null, 'b'), left('abcdef', 2), right('abcdef', 2), reverse('abc'), initcap('hello world'), strpos('hello','lo'), repeat('ab', 3), split_part('a,b,c', ',', 2), md5('abc'), chr(65), ascii('A')",
    [['a,b', 'ab', 'ef', 'cba', 'Hello World', '4', 'ababab', 'b', '900150983cd24fb0d6963f7d28e17f72', 'A', '65']],
  ),
  rows(
    "select date_trunc('month', timestamp '2024-02-29 13:14:15'), date_trunc('hour', timestamp '2024-02-29 13:14:15'), date_trunc('year', date '2024-05-05')",
    [['2024-02-01 00:00:00', '2024-02-29 13:00:00', '2024-01-01 00:00:00+00']],
  ),
  rows(
    "select extract(year from date '2024-02-29'), extract(month from timestamp '2024-02-29 13:14:15'), extract(dow from date '2024-02-29'), extract(epoch from timestamp '2024-01-01 00:00:00'), extract(hour from timestamp '2024-02-29 13:14:15'), date_part('day', date '2024-02-29')",
    [['2024', '2', '4', '1704067200.000000', '13', '29']],
  ),
  rows(
    "select to_char(timestamp '2024-02-29 13:04:05', 'YYYY-MM-DD HH24:MI:SS'), to_char(date '2024-02-29', 'Mon DD, YYYY'), to_char(1234.5, '9999.99'), to_char(timestamp '2024-02-29 13:04:05', 'HH12:MI AM'), to_char(42, '00000')",
    [['2024-02-29 13:04:05', 'Feb 29, 2024', ' 1234.50', '01:04 PM', ' 00042']],
  ),
  rows(
    'select now() is not null, current_timestamp is not null, current_date is not null, localtimestamp is not null, now() = current_timestamp, now() = transaction_timestamp()',
    [['t', 't', 't', 't', 't', 't']],
  ),
  rows(
    "select coalesce(null, null, 3), nullif(1, 1), nullif(1, 2), greatest(1, 5, 3), least(1, 5, 3), coalesce(null::text, 'z')",
    [['3', null, '1', '5', '1', 'z']],
  ),
]);

suite('aggregates, GROUP BY, HAVING, DISTINCT', [
  rows(
    'select count(*), count(sal), count(dept), sum(sal), avg(sal), min(sal), max(sal), min(name), max(name) from se_e',
    [['5', '4', '4', '500.75', '125.1875000000000000', '50.25', '200.00', 'ann', 'ed']],
  ),
  rows('select dept, count(*), sum(sal) from se_e group by dept order by dept nulls first', [
    [null, '1', null],
    ['1', '2', '300.50'],
    ['2', '2', '200.25'],
  ]),
  rows('select dept, count(*) as n from se_e group by dept having count(*) > 1 order by dept', [
    ['1', '2'],
    ['2', '2'],
  ]),
  rows('select dept, max(sal) from se_e where id > 1 group by dept having max(sal) > 60 order by 1', [
    ['1', '200.00'],
    ['2', '150.00'],
  ]),
  rows('select sum(sal), count(*), count(sal), avg(sal), max(sal) from se_e where id > 100', [
    [null, '0', '0', null, null],
  ]),
  rows('select dept, count(*) from se_e where id > 100 group by dept', []),
  rows('select avg(x), sum(x), pg_typeof(sum(x)), pg_typeof(avg(x)), pg_typeof(count(*)) from (values (1), (2)) v(x)', [
    ['1.5000000000000000', '3', 'bigint', 'numeric', 'bigint'],
  ]),
  rows('select sum(x::bigint), pg_typeof(sum(x::bigint)), sum(x::float8) from (values (1), (2)) v(x)', [
    ['3', 'numeric', '3'],
  ]),
  rows('select count(distinct dept), count(distinct sal) from se_e', [['2', '4']]),
  rows('select distinct dept from se_e order by dept', [['1'], ['2'], [null]]),
  rows('select distinct dept, boss is null from se_e order by 1, 2', [
    ['1', 'f'],
    ['1', 't'],
    ['2', 'f'],
    [null, 'f'],
  ]),
]);

suite('ORDER BY, LIMIT, OFFSET', [
  rows('select name, sal from se_e order by sal desc nulls last, name', [
    ['bob', '200.00'],
    ['cy', '150.00'],
    ['ann', '100.50'],
    ['ed', '50.25'],
    ['di', null],
  ]),
  rows('select name, sal from se_e order by sal asc nulls first', [
    ['di', null],
    ['ed', '50.25'],
    ['ann', '100.50'],
    ['cy', '150.00'],
    ['bob', '200.00'],
  ]),
  rows('select name, sal from se_e order by sal', [
    ['ed', '50.25'],
    ['ann', '100.50'],
    ['cy', '150.00'],
    ['bob', '200.00'],
    ['di', null],
  ]),
  rows('select name, sal from se_e order by sal desc', [
    ['di', null],
    ['bob', '200.00'],
    ['cy', '150.00'],
    ['ann', '100.50'],
    ['ed', '50.25'],
  ]),
  rows('select name as n from se_e order by n desc limit 2', [['ed'], ['di']]),
  rows('select name, dept from se_e order by 2, 1', [
    ['ann', '1'],
    ['bob', '1'],
    ['cy', '2'],
    ['ed', '2'],
    ['di', null],
  ]),
  rows('select name from se_e order by sal * -1 nulls last', [['bob'], ['cy'], ['ann'], ['ed'], ['di']]),
  rows('select name from se_e order by dept desc, id', [['di'], ['cy'], ['ed'], ['ann'], ['bob']]),
  rows('select name from se_e order by id limit 2 offset 1', [['bob'], ['cy']]),
  rows('select name from se_e order by id offset 3', [['di'], ['ed']]),
  rows('select name from se_e order by id limit 0', []),
  rows('select name from se_e order by id limit null', [['ann'], ['bob'], ['cy'], ['di'], ['ed']]),
  rows('select id from se_e order by id fetch first 2 rows only', [['1'], ['2']]),
]);

suite('joins', [
  rows('select e.name, d.dname from se_e e join se_d d on e.dept = d.id order by e.id', [
    ['ann', 'eng'],
    ['bob', 'eng'],
    ['cy', 'ops'],
    ['ed', 'ops'],
  ]),
  rows("select e.name, d.dname from se_e e inner join se_d d on e.dept = d.id and d.dname = 'ops' order by e.id", [
    ['cy', 'ops'],
    ['ed', 'ops'],
  ]),
  rows('select e.name, d.dname from se_e e left join se_d d on e.dept = d.id order by e.id', [
    ['ann', 'eng'],
    ['bob', 'eng'],
    ['cy', 'ops'],
    ['di', null],
    ['ed', 'ops'],
  ]),
  rows('select e.name, d.dname from se_e e left outer join se_d d on e.dept = d.id where d.id is null', [['di', null]]),
  rows('select e.name, d.dname from se_e e right join se_d d on e.dept = d.id order by d.id, e.id', [
    ['ann', 'eng'],
    ['bob', 'eng'],
    ['cy', 'ops'],
    ['ed', 'ops'],
    [null, 'empty'],
  ]),
  rows('select e.name, d.dname from se_e e full join se_d d on e.dept = d.id order by e.id nulls last, d.id', [
    ['ann', 'eng'],
    ['bob', 'eng'],
    ['cy', 'ops'],
    ['di', null],
    ['ed', 'ops'],
    [null, 'empty'],
  ]),
  rows('select e.name, d.dname from se_e e cross join se_d d where d.id = 3 order by e.id', [
    ['ann', 'empty'],
    ['bob', 'empty'],
    ['cy', 'empty'],
    ['di', 'empty'],
    ['ed', 'empty'],
  ]),
  rows('select count(*) from se_e, se_d', [['15']]),
  rows('select a.name, b.name as boss from se_e a join se_e b on a.boss = b.id order by a.id', [
    ['bob', 'ann'],
    ['cy', 'ann'],
    ['di', 'bob'],
    ['ed', 'cy'],
  ]),
  ok('create table se_p (a text, k int)'),
  ok('create table se_q (k int, b text)'),
  ok("insert into se_p values ('p1', 1), ('p2', 2), ('pn', null)"),
  ok("insert into se_q values (2, 'q2'), (3, 'q3')"),
  rows('select * from se_p join se_q using (k) order by k', [['2', 'p2', 'q2']]),
  rows('select * from se_p left join se_q using (k) order by k nulls first', [
    [null, 'pn', null],
    ['1', 'p1', null],
    ['2', 'p2', 'q2'],
  ]),
  rows('select * from se_p right join se_q using (k) order by k', [
    ['2', 'p2', 'q2'],
    ['3', null, 'q3'],
  ]),
  rows('select * from se_p full join se_q using (k) order by k nulls last', [
    ['1', 'p1', null],
    ['2', 'p2', 'q2'],
    ['3', null, 'q3'],
    [null, 'pn', null],
  ]),
  rows('select k, se_p.k, se_q.k from se_p full join se_q using (k) order by 1 nulls last', [
    ['1', '1', null],
    ['2', '2', '2'],
    ['3', null, '3'],
    [null, null, null],
  ]),
  rows('select se_q.* from se_p join se_q using (k)', [['2', 'q2']]),
  rows('select * from se_p natural join se_q', [['2', 'p2', 'q2']]),
  rows('select * from se_p natural full join se_q order by k nulls last', [
    ['1', 'p1', null],
    ['2', 'p2', 'q2'],
    ['3', null, 'q3'],
    [null, 'pn', null],
  ]),
]);

suite('nested USING and NATURAL joins', [
  ok('create table nj_a (k int, a text)'),
  ok('create table nj_b (k int, b text)'),
  ok('create table nj_c (k int, c text)'),
  ok("insert into nj_a values (1, 'a1'), (2, 'a2')"),
  ok("insert into nj_b values (2, 'b2'), (3, 'b3')"),
  ok("insert into nj_c values (2, 'c2'), (3, 'c3'), (4, 'c4')"),
  rows('select * from nj_a join nj_b using (k) join nj_c using (k)', [['2', 'a2', 'b2', 'c2']]),
  rows('select * from nj_a full join nj_b using (k) full join nj_c using (k) order by k', [
    ['1', 'a1', null, null],
    ['2', 'a2', 'b2', 'c2'],
    ['3', null, 'b3', 'c3'],
    ['4', null, null, 'c4'],
  ]),
  rows('select * from nj_a natural join nj_b natural join nj_c', [['2', 'a2', 'b2', 'c2']]),
  rows('select * from nj_a left join nj_b using (k) left join nj_c using (k) order by k', [
    ['1', 'a1', null, null],
    ['2', 'a2', 'b2', 'c2'],
  ]),
  rows('select * from nj_a right join nj_b using (k) order by k', [
    ['2', 'a2', 'b2'],
    ['3', null, 'b3'],
  ]),
  rows('select * from nj_a join (nj_b join nj_c using (k)) using (k)', [['2', 'a2', 'b2', 'c2']]),
  rows('select * from nj_a full join nj_b using (k) where nj_b.k is null', [['1', 'a1', null]]),
  rows('select count(*) from nj_a a join nj_b b using (k) where a.k = 2', [['1']]),
  ok('drop table nj_a, nj_b, nj_c'),
  ok('create table nj_a (k int, a text)'),
  ok('create table nj_b (k int, b text)'),
  ok("insert into nj_a values (1, 'a1'), (2, 'a2'), (3, 'a3')"),
  ok("insert into nj_b values (2, 'b2'), (3, 'b3')"),
  rows('select * from nj_a join nj_b using (k) where k > 2', [['3', 'a3', 'b3']]),
  rows("select * from nj_a join nj_b using (k) where k = 2 and b = 'b2' and nj_a.a = 'a2'", [['2', 'a2', 'b2']]),
  rows("select * from nj_a natural join nj_b where k in (select k from nj_b where b = 'b3')", [['3', 'a3', 'b3']]),
  rows('select * from nj_a left join nj_b using (k) where k < 3 order by k', [
    ['1', 'a1', null],
    ['2', 'a2', 'b2'],
  ]),
  rows('select * from nj_a right join nj_b using (k) where k = 3', [['3', 'a3', 'b3']]),
  rows('select * from nj_a full join nj_b using (k) where k >= 2 order by k', [
    ['2', 'a2', 'b2'],
    ['3', 'a3', 'b3'],
  ]),
  rows('select * from nj_a cross join nj_b where nj_a.k = nj_b.k order by 1', [
    ['2', 'a2', '2', 'b2'],
    ['3', 'a3', '3', 'b3'],
  ]),
]);

suite('subqueries', [
  rows('select name from se_e where sal > (select avg(sal) from se_e) order by name', [['bob'], ['cy']]),
  rows('select name from se_e x where exists (select 1 from se_e y where y.boss = x.id) order by name', [
    ['ann'],
    ['bob'],
    ['cy'],
  ]),
  rows('select name from se_e x where not exists (select 1 from se_e y where y.boss = x.id) order by name', [
    ['di'],
    ['ed'],
  ]),
  rows('select name, (select dname from se_d where se_d.id = se_e.dept) from se_e order by id', [
    ['ann', 'eng'],
    ['bob', 'eng'],
    ['cy', 'ops'],
    ['di', null],
    ['ed', 'ops'],
  ]),
  rows('select name from se_e x where sal > (select avg(sal) from se_e y where y.dept = x.dept) order by name', [
    ['bob'],
    ['cy'],
  ]),
  rows(
    'select s.dept, s.total from (select dept, sum(sal) as total from se_e group by dept) s where s.total > 100 order by 1',
    [
      ['1', '300.50'],
      ['2', '200.25'],
    ],
  ),
  rows('select * from (select id, name from se_e where id < 3) as t order by id desc', [
    ['2', 'bob'],
    ['1', 'ann'],
  ]),
  rows('select name from se_e where id = any (select boss from se_e) order by name', [['ann'], ['bob'], ['cy']]),
  rows('select name from se_e where sal > all (select sal from se_e where dept = 2) order by name', [['bob']]),
  fails('select (select id from se_e)', '21000', 'TDB-6018'),
  rows('select (select id from se_e where id = 99) is null', [['t']]),
]);

suite('generate_series, set operations, WITH, VALUES', [
  rows('select * from generate_series(1, 5)', [['1'], ['2'], ['3'], ['4'], ['5']]),
  rows('select * from generate_series(1, 10, 3)', [['1'], ['4'], ['7'], ['10']]),
  rows('select * from generate_series(5, 1, -2)', [['5'], ['3'], ['1']]),
  rows('select * from generate_series(3, 1)', []),
  rows('select g from generate_series(1, 3) g', [['1'], ['2'], ['3']]),
  rows('select x * 2 as y from generate_series(1, 3) as t(x)', [['2'], ['4'], ['6']]),
  rows('select sum(g) from generate_series(1, 100) g', [['5050']]),
  rows('select 1 union select 1 union select 2 order by 1', [['1'], ['2']]),
  rows('select 1 union all select 1 union all select 2 order by 1', [['1'], ['1'], ['2']]),
  rows('select id from se_e intersect select id from se_d order by 1', [['1'], ['2'], ['3']]),
  rows('select id from se_e except select id from se_d order by 1', [['4'], ['5']]),
  rows('select dept from se_e union select id from se_d order by 1 nulls first', [[null], ['1'], ['2'], ['3']]),
  rows('select 1 as x union select 2 order by x desc', [['2'], ['1']]),
  rows("select 1, 'a' union all select 2, 'b' order by 1 desc limit 1", [['2', 'b']]),
  rows('with t as (select id, name from se_e where id < 3) select name from t order by id', [['ann'], ['bob']]),
  rows('with a as (select 1 as x), b as (select x + 1 as y from a) select * from a, b', [['1', '2']]),
  rows('with cnt(n) as (select count(*) from se_e) select n * 2 from cnt', [['10']]),
  rows("select * from (values (1, 'a'), (2, 'b')) as v(n, s) order by n desc", [
    ['2', 'b'],
    ['1', 'a'],
  ]),
  rows("values (1, 'x'), (2, 'y')", [
    ['1', 'x'],
    ['2', 'y'],
  ]),
  rows('select se_e.* from se_e where id = 1', [['1', 'ann', '1', '100.50', null]]),
  rows("select id from se_e where id in (1, 2) or name = 'ed' and dept = 2 order by 1", [['1'], ['2'], ['5']]),
  rows('select 1 where false', []),
  rows('select 1 where null', []),
  rows('select count(*) from se_e where null', [['0']]),
  rows('select name from se_e where dept = 1 and sal > (select min(sal) from se_e) order by 1', [['ann'], ['bob']]),
  fails('select id, name from se_e where name = $1', '42P02', 'TDB-6027'),
]);

suite('grouping, nesting and type errors', [
  ok('create table se_dep (id int primary key, dname text)'),
  ok('create table se_emp (id int primary key, name text, dept int, sal int)'),
  ok("insert into se_dep values (1,'eng'),(2,'ops'),(3,'empty')"),
  ok("insert into se_emp values (1,'ann',1,100),(2,'bob',1,200),(3,'cy',2,150),(4,'di',null,null),(5,'ed',2,50)"),
  rows(
    'select d.dname, count(e.id), sum(e.sal) from se_dep d left join se_emp e on e.dept = d.id group by d.dname order by d.dname',
    [
      ['empty', '0', null],
      ['eng', '2', '300'],
      ['ops', '2', '200'],
    ],
  ),
  rows('select dept, sum(sal) as total from se_emp group by dept order by total desc nulls last', [
    ['1', '300'],
    ['2', '200'],
    [null, null],
  ]),
  rows('select dept, sum(sal) from se_emp group by dept order by sum(sal) desc nulls last', [
    ['1', '300'],
    ['2', '200'],
    [null, null],
  ]),
  rows('select dept, count(*) from se_emp group by 1 order by 1', [
    ['1', '2'],
    ['2', '2'],
    [null, '1'],
  ]),
  rows('select dept as dd, count(*) from se_emp group by dd order by dd', [
    ['1', '2'],
    ['2', '2'],
    [null, '1'],
  ]),
  rows('select dept, max(sal) - min(sal) from se_emp group by dept having count(*) > 1 order by dept', [
    ['1', '100'],
    ['2', '100'],
  ]),
  rows('select dept from se_emp group by dept having sum(sal) > (select avg(sal) from se_emp) order by 1', [
    ['1'],
    ['2'],
  ]),
  rows('select name, sal, (select max(sal) from se_emp) - sal from se_emp order by id', [
    ['ann', '100', '100'],
    ['bob', '200', '0'],
    ['cy', '150', '50'],
    ['di', null, null],
    ['ed', '50', '150'],
  ]),
  rows('select count(*) * 2, sum(sal) / count(sal), max(sal) + 1 from se_emp', [['10', '125', '201']]),
  rows('select distinct dept from se_emp where dept is not null order by dept desc', [['2'], ['1']]),
  rows('select distinct name from se_emp order by name limit 2', [['ann'], ['bob']]),
  rows('select count(*), count(distinct dept), sum(distinct sal) from se_emp', [['5', '2', '500']]),
  rows("select dept, string_agg(name, ',') from se_emp where dept is not null group by dept order by dept", [
    ['1', 'ann,bob'],
    ['2', 'cy,ed'],
  ]),
  rows("select case when count(*) > 3 then 'many' else 'few' end from se_emp", [['many']]),
  rows('select d.id, (select count(*) from se_emp e where e.dept = d.id) as n from se_dep d order by d.id', [
    ['1', '2'],
    ['2', '2'],
    ['3', '0'],
  ]),
  rows('select * from se_dep d where (select count(*) from se_emp e where e.dept = d.id) = 0', [['3', 'empty']]),
  rows('select e.name from se_emp e where e.sal = (select max(sal) from se_emp e2 where e2.dept = e.dept) order by 1', [
    ['bob'],
    ['cy'],
  ]),
  rows(
    'with t as (select dept, sum(sal) s from se_emp group by dept) select d.dname, t.s from se_dep d join t on t.dept = d.id order by 1',
    [
      ['eng', '300'],
      ['ops', '200'],
    ],
  ),
  rows(
    'with t1 as (select 1 as a), t2 as (select a + 1 as b from t1), t3 as (select b * 10 as c from t2) select * from t3',
    [['20']],
  ),
  rows('select * from (select * from (select id, name from se_emp) a where id > 2) b order by id limit 2', [
    ['3', 'cy'],
    ['4', 'di'],
  ]),
  rows('select id from se_emp where id > 2 and id in (select id from se_emp where sal > 60) order by id', [['3']]),
  rows('select id from se_emp where sal > 100 order by sal, id desc', [['3'], ['2']]),
  rows('select min(name), max(name) from se_emp where dept = 1', [['ann', 'bob']]),
  rows('select avg(sal)::int, round(avg(sal), 2), sum(sal)::float8 / count(*) from se_emp', [['125', '125.00', '100']]),
  rows('select count(1), count(null), count(nullif(1, 1)) from se_emp', [['5', '0', '0']]),
  rows('select x, count(*) from (select sal > 100 as x from se_emp) s group by x order by x nulls first', [
    [null, '1'],
    ['f', '2'],
    ['t', '2'],
  ]),
  rows("select e.name, d.dname from se_emp e, se_dep d where e.dept = d.id and d.dname <> 'eng' order by 1", [
    ['cy', 'ops'],
    ['ed', 'ops'],
  ]),
  rows('select e1.name, e2.name from se_emp e1 join se_emp e2 on e1.dept = e2.dept and e1.id < e2.id order by 1, 2', [
    ['ann', 'bob'],
    ['cy', 'ed'],
  ]),
  rows('select name from se_emp order by length(name) desc, name', [['ann'], ['bob'], ['cy'], ['di'], ['ed']]),
  rows('select name from se_emp union select dname from se_dep order by 1 limit 3', [['ann'], ['bob'], ['cy']]),
  rows('select * from se_emp where false', []),
  fails("select upper(name) as u from se_emp where u like 'A%'", '42703', 'TDB-6002'),
  rows("select name from se_emp group by name having name > 'c' order by name", [['cy'], ['di'], ['ed']]),
  rows('select 1 as a, 2 as a', [['1', '2']]),
  rows('select * from se_emp e join se_dep d using (id) order by id', [
    ['1', 'ann', '1', '100', 'eng'],
    ['2', 'bob', '1', '200', 'ops'],
    ['3', 'cy', '2', '150', 'empty'],
  ]),
  fails('select id, count(*) from se_emp', '42803', 'TDB-6022'),
  fails('select * from se_emp order by nosuch', '42703', 'TDB-6002'),
  fails('select max(count(*)) from se_emp', '42803', 'TDB-6022'),
  fails('select sum(name) from se_emp', '42883', 'TDB-6003'),
  fails("select * from se_emp where sal > 'abc'", '22P02', 'TDB-5014'),
  fails('select * from se_emp where name > 5', '42883', 'TDB-6003'),
  rows('select name from se_emp where id = 1.0', [['ann']]),
  rows("select name from se_emp where id = '1'", [['ann']]),
  rows("select count(*) from se_emp where sal between '100' and '200'", [['3']]),
]);

suite('set operations resolve untyped literals with the other side', [
  rows('select null union select 1 order by 1', [['1'], [null]]),
  rows('select 1 union select null order by 1', [['1'], [null]]),
  rows("select '1' union select 2 order by 1", [['1'], ['2']]),
  rows("select 1 union select '2' order by 1", [['1'], ['2']]),
  rows('select null union select null', [[null]]),
  rows('select pg_typeof(x) from (select null as x union select 1) s', [['integer'], ['integer']]),
  rows("select null, 'a' union select 1, 'b' order by 1", [
    ['1', 'b'],
    [null, 'a'],
  ]),
  rows("select 'abc' union select 'xyz'::varchar(3) order by 1", [['abc'], ['xyz']]),
  rows('select 1 except select null', [['1']]),
  fails('select 1 union select 1, 2', '42601', 'TDB-6001'),
  fails("select 1 union select 'x'::text", '42804', 'TDB-6005'),
]);

suite('parameters', [
  { sql: 'select id, name from se_e where name = $1', values: ['cy'], rows: [['3', 'cy']] },
  { sql: 'select $1::int + 1, $2::text || $2', values: ['41', 'ab'], rows: [['42', 'abab']] },
  {
    sql: 'select name from se_e where id = $1 or dept = $2 order by id',
    values: ['1', '2'],
    rows: [['ann'], ['cy'], ['ed']],
  },
  { sql: 'select name from se_e order by id limit $1 offset $2', values: ['2', '1'], rows: [['bob'], ['cy']] },
  { sql: 'select count(*) from se_e where sal > $1', values: [null], rows: [['0']] },
  { sql: 'select $1::int', values: ['x'], error: { code: '22P02', tdb: 'TDB-5014' } },
]);

suite('result column names', [
  fails('select count(*), dname from se_d', '42803', 'TDB-6022'),
  {
    sql: 'select 1, 1 + 1, count(*), now() is null as x, upper(dname), dname d, se_d.id, cast(1 as text) from se_d group by dname, id',
    columns: ['?column?', '?column?', 'count', 'x', 'upper', 'd', 'id', 'text'],
  },
  {
    sql: "select 'a'::varchar, 1::int8, case when true then 1 end, coalesce(1, 2)",
    columns: ['varchar', 'int8', 'case', 'coalesce'],
  },
  { sql: 'select * from generate_series(1, 2)', columns: ['generate_series'] },
]);

suite('Tandem additions (Oracle style)', [
  { sql: 'SELECT 1 FROM DUAL', rows: [['1']], tandemOnly: true },
  { sql: "SELECT 'x' || dummy FROM dual", rows: [['xX']], tandemOnly: true },
  { sql: 'SELECT SYSDATE IS NOT NULL FROM DUAL', rows: [['t']], tandemOnly: true },
  {
    sql: "SELECT nvl(NULL, 'z'), nvl('a', 'z'), instr('hello', 'l') FROM dual",
    rows: [['z', 'a', '3']],
    tandemOnly: true,
  },
]);

describe('scalar results', () => {
  it('now(), current_timestamp and SYSDATE are the transaction start, not null', async () => {
    const result = await query(conformance().client, 'select now(), current_timestamp, localtimestamp, current_date');
    const [now, current, local, date] = result.rows[0];
    expect(now).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00$/);
    expect(current).toBe(now);
    expect(local).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/);
    expect(date).toMatch(/^\d{4}-\d\d-\d\d$/);
  });
});
