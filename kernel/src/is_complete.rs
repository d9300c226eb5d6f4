//! `is_complete`: whether a cell's code is finished (for consoles that submit on Enter).
//!
//! Unclosed brackets, strings or block comments mean "incomplete" (with the indent for the
//! next line); a closing bracket without its opener means "invalid".

use jupyter_protocol::IsCompleteReply;

/// Classifies `code` as complete, incomplete (with an indent) or invalid.
pub fn is_complete(code: &str) -> IsCompleteReply {
    let mut stack = Vec::new();
    let mut chars = code.chars().peekable();
    let mut in_string = false;
    let mut block_comments = 0usize;
    while let Some(c) = chars.next() {
        if block_comments > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block_comments -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                block_comments += 1;
            }
            continue;
        }
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block_comments = 1;
            }
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return IsCompleteReply::invalid();
                }
            }
            _ => {}
        }
    }
    if in_string || block_comments > 0 || !stack.is_empty() {
        IsCompleteReply::incomplete("    ".repeat(stack.len().max(1)))
    } else {
        IsCompleteReply::complete()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::IsCompleteReplyStatus as S;

    fn status(code: &str) -> S {
        is_complete(code).status
    }

    #[test]
    fn classifies_code() {
        assert_eq!(status("let x = 1;"), S::Complete);
        assert_eq!(status("fn f() {\n let x = (1,"), S::Incomplete);
        assert_eq!(status("let s = \"a { b"), S::Incomplete);
        assert_eq!(status("let s = \"a { b\";"), S::Complete);
        assert_eq!(status("// {\nlet x = 1;"), S::Complete);
        assert_eq!(status("let x = 1; }"), S::Invalid);
        assert_eq!(is_complete("if x {\n").indent, "    ");
    }
}
