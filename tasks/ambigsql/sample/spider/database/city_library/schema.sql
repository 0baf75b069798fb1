-- city_library: written for act-bench (made-up branches, books and loans).
CREATE TABLE branch (
    Branch_ID INTEGER PRIMARY KEY,
    Name TEXT,
    District TEXT,
    Opened_Year INTEGER
);
CREATE TABLE book (
    Book_ID INTEGER PRIMARY KEY,
    Title TEXT,
    Author TEXT,
    Genre TEXT,
    Published_Year INTEGER,
    Pages INTEGER
);
CREATE TABLE loan (
    Loan_ID INTEGER PRIMARY KEY,
    Book_ID INTEGER REFERENCES book(Book_ID),
    Branch_ID INTEGER REFERENCES branch(Branch_ID),
    Member_Name TEXT,
    Loan_Date TEXT,
    Days INTEGER
);
INSERT INTO branch VALUES (1, 'Central', 'Old Town', 1962);
INSERT INTO branch VALUES (2, 'Riverside', 'Docklands', 2008);
INSERT INTO branch VALUES (3, 'Hillcrest', 'North Hill', 1985);
INSERT INTO book VALUES (1, 'The Salt Road', 'Ines Varga', 'History', 2015, 412);
INSERT INTO book VALUES (2, 'Lanterns at Low Tide', 'Tomas Reyes', 'Fiction', 2019, 288);
INSERT INTO book VALUES (3, 'A Field Guide to Lichens', 'Mara Holt', 'Science', 2007, 196);
INSERT INTO book VALUES (4, 'Winter Orchard', 'Ines Varga', 'Fiction', 2021, 334);
INSERT INTO book VALUES (5, 'Counting Stars', 'Abel Fenwick', 'Science', 2012, 240);
INSERT INTO book VALUES (6, 'The Copper Clock', 'Tomas Reyes', 'Fiction', 2003, 301);
INSERT INTO loan VALUES (1, 2, 1, 'Ada Brook', '2024-01-08', 14);
INSERT INTO loan VALUES (2, 4, 1, 'Ada Brook', '2024-01-22', 21);
INSERT INTO loan VALUES (3, 1, 2, 'Jon Pell', '2024-02-01', 7);
INSERT INTO loan VALUES (4, 3, 3, 'Rui Costa', '2024-02-03', 14);
INSERT INTO loan VALUES (5, 2, 2, 'Mina Sato', '2024-02-10', 28);
INSERT INTO loan VALUES (6, 5, 1, 'Jon Pell', '2024-03-02', 14);
INSERT INTO loan VALUES (7, 6, 3, 'Ada Brook', '2024-03-15', 7);
