//! Where in a JSON document an error happened, as a path (`schedule[0].at_ms`), recovered from
//! the line and column serde_json reports. A small scan instead of a path-tracking
//! deserializer: the browser build stays small and errors still name the field.

/// One open container while scanning.
enum Frame {
    /// Inside an object; `key` is the member being read (None between members).
    Object { key: Option<String>, want_key: bool },
    /// Inside an array at element `index`.
    Array { index: usize },
}

/// Byte offset of 1-based (`line`, `column`), clamped to the document.
fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut l = 1;
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if l == line {
            break;
        }
        if b == b'\n' {
            l += 1;
            start = i + 1;
        }
    }
    (start + column).min(text.len())
}

/// Reads a JSON string starting at `text[i] == b'"'`; returns its (lossy) content and the
/// index just past the closing quote (or the end, for a truncated string).
fn read_string(text: &[u8], mut i: usize) -> (String, usize) {
    let mut out = Vec::new();
    i += 1;
    while i < text.len() {
        match text[i] {
            b'"' => return (String::from_utf8_lossy(&out).into_owned(), i + 1),
            b'\\' if i + 1 < text.len() => {
                out.push(text[i + 1]);
                i += 2;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), i)
}

/// The path of the member being read at (`line`, `column`): object keys joined by `.`,
/// array indices as `[i]`; `.` when the error is at the top level.
pub fn path_at(text: &[u8], line: usize, column: usize) -> String {
    let end = offset_of(text, line, column);
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match text[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, want_key }) => {
                    *key = None;
                    *want_key = true;
                }
                None => {}
            },
            b'"' => {
                let (s, next) = read_string(text, i);
                if let Some(Frame::Object { key, want_key }) = stack.last_mut() {
                    if *want_key {
                        *key = Some(s);
                        *want_key = false;
                    }
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() {
        ".".to_string()
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_indices_at_the_error() {
        let doc = br#"{"version":1,"schedule":[{"at_ms":1,"cmd":{"op":"heal"}},{"at_ms":-5}]}"#;
        // serde_json reports the column just past the offending value.
        let col = doc.windows(2).position(|w| w == b"-5").expect("there") + 2;
        assert_eq!(path_at(doc, 1, col), "schedule[1].at_ms");
        assert_eq!(path_at(doc, 1, 11), "version");
        assert_eq!(path_at(doc, 1, 0), ".");
    }

    #[test]
    fn multi_line_documents_escapes_and_truncation() {
        let doc = b"{\n  \"title\": \"a \\\"quoted\\\" {[ title\",\n  \"cluster\": {\"servers\": [\"A\", ";
        assert_eq!(path_at(doc, 3, 30), "cluster.servers[1]");
        assert_eq!(path_at(doc, 2, 20), "title");
        // Out-of-range positions are clamped, never a panic.
        assert_eq!(path_at(doc, 99, 99), "cluster.servers[1]");
        assert_eq!(path_at(b"", 1, 1), ".");
    }
}
