import { brokerStillCompiling, parseJstatCompiler } from './broker-jit';

describe('parseJstatCompiler', () => {
  it('reads the Time column of jstat -compiler', () => {
    const output = `Compiled Failed Invalid   Time   FailedType FailedMethod
   10282      1       0    70.90          1 java/util/jar/JarFile getEntry
`;
    expect(parseJstatCompiler(output)).toBe(70.9);
  });

  it('is undefined for output it does not recognise', () => {
    expect(parseJstatCompiler('')).toBeUndefined();
    expect(parseJstatCompiler('12345 not found\n')).toBeUndefined();
  });
});

describe('brokerStillCompiling', () => {
  it('is true when the broker compiled for more than a quarter of the round', () => {
    expect(brokerStillCompiling({ seconds: 10, brokerJitSeconds: 4.5 })).toBe(true);
    expect(brokerStillCompiling({ seconds: 10, brokerJitSeconds: 1.8 })).toBe(false);
  });

  it('is false when the compile time was not measured', () => {
    expect(brokerStillCompiling({ seconds: 10 })).toBe(false);
  });
});
