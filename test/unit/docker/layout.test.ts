// Docker's own lines, recognised by shape (src/docker/layout.ts).
import {describe, expect, it} from 'vitest'

import {isDirectAccessDrop} from '../../../src/docker/layout.js'

describe('isDirectAccessDrop', () => {
  it.each([
    '-d 172.18.0.2/32 ! -i br-0123456789ab -j DROP',
    '-d 172.18.0.2/32 ! -i br-0123456789ab -p tcp -m tcp --dport 80 -j DROP',
    '-d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP',
  ])('is Docker 28 drop: %s', (spec) => expect(isDirectAccessDrop(spec)).toBe(true))

  it.each([
    '-d 172.18.0.2/32 -i br-0123456789ab -j DROP',
    '-s 10.0.0.0/8 -d 172.18.0.2/32 ! -i br-0123456789ab -j DROP',
    '-d 172.18.0.2/32 ! -i br-0123456789ab -j ACCEPT',
    '-m rpfilter --invert -j DROP',
  ])('is not: %s', (spec) => expect(isDirectAccessDrop(spec)).toBe(false))
})
