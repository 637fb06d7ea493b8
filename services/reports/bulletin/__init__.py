"""The monthly bulletin (调度通报): written from the month's snapshot in the office's words, as Markdown and DOCX."""
