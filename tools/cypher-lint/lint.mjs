// Checks Cypher statements against Neo4j's own Cypher grammar and semantic rules
// (@neo4j-cypher/language-support, the parser behind Neo4j's editors and language server).
//
// Input on stdin: a JSON object {name: statement, ...}. Output on stdout: a JSON object
// {name: [message, ...]} holding only the statements with errors. Exit code: 0 when every
// statement is valid Cypher, 1 when any is not, 2 on bad input. Undeclared $parameters are
// not errors here: the store always sends them with the query.
import { lintCypherQuery, isNotParamError } from '@neo4j-cypher/language-support';

const ERROR = 1; // DiagnosticSeverity.Error

function readStdin() {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { text += chunk; });
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

let statements;
try {
  statements = JSON.parse(await readStdin());
} catch (err) {
  process.stderr.write(`cypher-lint: input is not JSON: ${err}\n`);
  process.exit(2);
}

const failures = {};
for (const [name, query] of Object.entries(statements)) {
  const { diagnostics } = lintCypherQuery(query, {});
  const errors = diagnostics
    .filter((d) => d.severity === ERROR && isNotParamError(d))
    .map((d) => `${d.message} (at offset ${d.offsets ? d.offsets.start : '?'})`);
  if (errors.length > 0) failures[name] = errors;
}
process.stdout.write(JSON.stringify(failures, null, 1) + '\n');
process.exit(Object.keys(failures).length > 0 ? 1 : 0);
