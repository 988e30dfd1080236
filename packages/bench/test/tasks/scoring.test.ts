import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactScore, normalize, numericScore, pairsF1, parsePairs, scoreAnswer } from '../../src/tasks/index.ts';
import { parseTokens } from '../../src/tasks/task.ts';

describe('scorers, against hand-computed cases', () => {
  it('normalize drops case, punctuation, articles and extra spaces', () => {
    assert.equal(normalize('  The Eiffel-Tower, in   PARIS! '), 'eiffel-tower in paris');
  });

  it('numeric: 0.75 to the power of the absolute error, the first number in the answer', () => {
    assert.equal(numericScore('42', 42), 1);
    assert.equal(numericScore('There are 40 of them.', 42), 0.5625);
    assert.equal(numericScore('45', 42), 0.421875);
    assert.equal(numericScore('1,204 data points', 1204), 1);
    assert.equal(numericScore('none', 3), 0);
  });

  it('numeric: a number the query mentions (a user id, a year) restated in the answer is not the answer', () => {
    const query = "How many data points by user 24363 dated in August 2024 should be labelled 'entity'? Answer with a number.";
    assert.equal(numericScore('User 24363 has 5 such data points in August 2024.', 5, query), 1);
    assert.equal(numericScore('In 2024 there were 7', 7, query), 1);
    // When every number is from the query, the first still stands (a count that equals a year is possible).
    assert.equal(numericScore('24363', 24363, query), 1);
    assert.equal(numericScore('User 24363: none', 5, query), 0.75 ** (24363 - 5));
    assert.equal(scoreAnswer({ score: 'numeric', answer: '5', query }, 'User 24363 has 5.'), 1);
  });

  it('pairs: F1 over unordered pairs, either order accepted, duplicates once', () => {
    const truth = '(1, 2)\n(1, 3)\n(2, 3)\n(3, 4)';
    assert.equal(pairsF1('(2, 1), (3, 1), (3,2), (4, 3)', truth), 1);
    // 2 right of 3 given, of 4 true: precision 2/3, recall 1/2, F1 = 2·(2/3·1/2)/(2/3+1/2) = 4/7.
    assert.ok(Math.abs(pairsF1('(1, 2) (1, 3) (5, 6)', truth) - 4 / 7) < 1e-12);
    assert.equal(pairsF1('(1, 2) (1, 2) (2, 1)', truth), 0.4);
    assert.equal(pairsF1('nothing', truth), 0);
    assert.equal(pairsF1('', ''), 1);
    assert.deepEqual([...parsePairs('(7, 7) (9, 8)')], ['8,9']);
  });

  it('exact: after normalisation; or naming exactly one option, the right one', () => {
    assert.equal(exactScore('Location.', 'location'), 1);
    assert.equal(exactScore('The most common label is location.', 'location', ['human', 'location']), 1);
    assert.equal(exactScore('location or human', 'location', ['human', 'location']), 0);
    assert.equal(exactScore('The most common label is location.', 'location'), 0);
    assert.equal(
      exactScore('It is less common than numeric', 'less common than', ['more common than', 'less common than', 'same frequency as']),
      1,
    );
  });

  it('scoreAnswer: by the instance kind; no answer scores 0', () => {
    assert.equal(scoreAnswer({ score: 'contains', answer: '4251598' }, 'The number is 4251598.'), 1);
    assert.equal(scoreAnswer({ score: 'contains', answer: 'crimson paper paper' }, 'Crimson paper, paper'), 1);
    assert.equal(scoreAnswer({ score: 'numeric', answer: '10' }, '8'), 0.5625);
    assert.equal(scoreAnswer({ score: 'pairs', answer: '(1, 2)' }, undefined), 0);
  });

  it('sizes parse from 8k, 1m and plain numbers', () => {
    assert.equal(parseTokens('8k'), 8000);
    assert.equal(parseTokens('131k'), 131_000);
    assert.equal(parseTokens('10M'), 10_000_000);
    assert.equal(parseTokens('32000'), 32_000);
    assert.throws(() => parseTokens('lots'), /8k, 1m or 32000/);
    assert.throws(() => parseTokens('12'), /at least 1k/);
  });
});
