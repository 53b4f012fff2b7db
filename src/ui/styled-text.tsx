// The one leaf that turns a StyledLine into Ink nodes; every Ink view uses it,
// so colours mean the same thing in the review and in apply progress.
import {Text} from 'ink'
import type {ReactElement} from 'react'

import type {StyledLine} from './styled.js'

export function StyledText({line}: {line: StyledLine}): ReactElement {
  // An empty <Text> takes no height; a space keeps blank lines.
  if (line.length === 0) return <Text> </Text>
  return (
    <Text wrap="truncate-end">
      {line.map((s, i) => (
        <Text key={i} color={s.style?.color} bold={s.style?.bold} dimColor={s.style?.dim}>
          {s.text}
        </Text>
      ))}
    </Text>
  )
}
